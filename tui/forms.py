"""What each form asks for, derived from the transition table and the policy's vocabularies.

A transition names its required and optional fields (`core.workflow`); this module turns each
field name into a `FieldSpec` (a Select filled from the profile in the UI language, or a text
box). Before saving, a form runs the core's own check of the input
(`core.lifecycle.validate_fields`), so a user is told at once what will not do, on the field
it is about, instead of after a round trip — and the form knows no rule the core does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len

from kefu.core import intake, lifecycle
from kefu.core.catalog.ui import phrase_name
from kefu.core.lifecycle import SCORES
from kefu.core.messages import Message
from kefu.core.policy import FIELD_VOCABULARIES, Profile
from kefu.core.workflow import (
    COMPLEXITIES,
    CONTACT_KINDS,
    REJECT_REASONS,
    REVISIT_OUTCOMES,
    Transition,
    word_label,
)

from .i18n import word

Options = list[tuple[str, str]]
"""(label shown, value returned) pairs for a Select."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str = "text"  # text | longtext | select | number
    required: bool = False
    options: Options = field(default_factory=list)
    value: str | None = None
    depends_on: str | None = None
    """For a select whose options follow another select (subcategory follows category)."""
    options_by: Mapping[str, Options] = field(default_factory=dict)
    placeholder: str = ""


def vocabulary_options(profile: Profile, kind: str, lang: str) -> Options:
    return [(label.text(lang), code) for code, label in profile.vocabulary(kind).items()]


def subcategory_options(profile: Profile, lang: str) -> dict[str, Options]:
    return {
        code: [(label.text(lang), sub) for sub, label in category.sub.items()]
        for code, category in profile.taxonomy.items()
    }


def _clip(text: str, cells: int) -> str:
    """`text` cut to `cells` terminal cells (CJK counts double), with … when cut."""
    if cell_len(text) <= cells:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > cells - 1:
            break
        out += char
    return out + "…"


def _word_options(codes: tuple[str, ...], lang: str) -> Options:
    """Stored words (simple, call, spam, ...) with their labels in `lang`."""
    return [(word_label(code, lang), code) for code in codes]


FIELD_ORDER = [
    "category",
    "subcategory",
    "severity",
    "complexity",
    "party",
    "department",
    "owner",
    "resolution",
    "amount",
    "compensation_kind",
    "satisfied",
    "outcome",
    "score",
    "reason",
    "duplicate_of",
    "into",
    "note",
]

FIELD_LABELS = {
    "category": "Category",
    "subcategory": "Subcategory",
    "severity": "Severity",
    "complexity": "Complexity",
    "party": "Party",
    "department": "Department",
    "note": "Note",
    "owner": "Assign to",
    "resolution": "Resolution type",
    "compensation_kind": "Compensation kind",
    "satisfied": "Satisfied",
    "score": "Score",
    "reason": "Reason",
    "duplicate_of": "Duplicate of",
    "into": "Original case",
    "outcome": "Outcome",
}


def field_spec(
    name: str,
    *,
    required: bool,
    profile: Profile,
    lang: str,
    users: list[tuple[str, str, str]],
    current: Mapping[str, Any],
) -> FieldSpec:
    """The widget for one transition field; `current` pre-fills what the case already has."""
    label = word(FIELD_LABELS.get(name, name), lang)
    value = current.get(name)
    value = None if value in (None, "") else str(value)
    if name in FIELD_VOCABULARIES and name != "resolution":
        options = vocabulary_options(profile, FIELD_VOCABULARIES[name], lang)
        return FieldSpec(name, label, "select", required, options, value)
    if name == "subcategory":
        return FieldSpec(
            name,
            label,
            "select",
            required,
            [],
            value,
            depends_on="category",
            options_by=subcategory_options(profile, lang),
        )
    if name == "complexity":
        return FieldSpec(name, label, "select", required, _word_options(COMPLEXITIES, lang), value)
    if name == "owner":
        options = [
            (Message("ui.user_option", name=display, login=login, role=role).text(lang), login)
            for login, display, role in users
        ]
        return FieldSpec(name, label, "select", required, options, None)
    if name == "resolution":
        return FieldSpec(name, label, "select", required, vocabulary_options(profile, "resolutions", lang))
    if name == "compensation_kind":
        options = [(lbl.text(lang), code) for code, lbl in profile.compensation.kinds.items()]
        return FieldSpec(name, label, "select", required, options)
    if name == "amount":
        label = Message("ui.amount_in", currency=profile.compensation.currency).text(lang)
        return FieldSpec(name, label, "number", required)
    if name == "satisfied":
        return FieldSpec(name, label, "select", required, _word_options(("yes", "no"), lang))
    if name == "score":
        return FieldSpec(name, label, "select", required, [(str(n), str(n)) for n in reversed(SCORES)])
    if name == "reason":
        return FieldSpec(name, label, "select", required, _word_options(REJECT_REASONS, lang))
    if name == "outcome":
        return FieldSpec(name, label, "select", required, _word_options(REVISIT_OUTCOMES, lang))
    if name == "note":
        return FieldSpec(name, label, "longtext", required)
    example = intake.case_code(f"{profile.profile.code_prefix}-YYYYMMDD", 1)
    return FieldSpec(name, label, "text", required, value=value, placeholder=example)


def transition_fields(
    transition: Transition,
    *,
    profile: Profile,
    lang: str,
    users: list[tuple[str, str, str]],
    current: Mapping[str, Any],
) -> list[FieldSpec]:
    names = [(n, True) for n in transition.required] + [(n, False) for n in transition.optional]
    # Related fields together (subcategory under category), the note last.
    names.sort(key=lambda item: FIELD_ORDER.index(item[0]) if item[0] in FIELD_ORDER else 50)
    return [
        field_spec(name, required=required, profile=profile, lang=lang, users=users, current=current)
        for name, required in names
    ]


def contact_fields(profile: Profile, lang: str) -> list[FieldSpec]:
    phrases = [
        (f"{phrase_name(code, lang)} · {_clip(label.text(lang), 36)}", code)
        for code, label in profile.phrases.items()
    ]
    return [
        FieldSpec(
            "contact",
            word("Contact by", lang),
            "select",
            True,
            _word_options(CONTACT_KINDS, lang),
            "call",
        ),
        FieldSpec("phrase", word("Standard phrase", lang), "select", False, phrases),
        FieldSpec("text", word("Text", lang), "longtext", False),
    ]


Checker = Callable[[dict[str, Any]], None]
"""Checks a form's values before saving; raises `KefuError` (its `field` names the field)."""


def transition_checker(transition: Transition, profile: Profile, code: str) -> Checker:
    """The core's check of a transition's input (`lifecycle.validate_fields`): the same
    rules `move_case` applies, run while the form is still open."""

    def check(values: dict[str, Any]) -> None:
        lifecycle.validate_fields(profile, transition, values, code)

    return check
