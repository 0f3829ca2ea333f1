"""Policy profiles: the TOML schema a shop edits, its validation, and look-ups by code or label.

A profile is a complete policy: calendar, severities and SLA targets, channels,
taxonomy, parties, departments, resolutions, thresholds, revisit, retention. It is validated
on load; a bad file is refused with the file name, the line and the reason.

A `PolicyError`'s message is one of the `policy.problem*` frames (params origin, line, field,
reason). The reason is a catalog message when kefu knows it (an unknown key, a missing one, our
validators' `_Invalid` / the calendar's `CalendarValueError`); when only pydantic knows it (a
wrong type, a pattern, a number out of range) it is pydantic's own English `msg`, passed on as
a plain string parameter, so a Chinese frame may hold an English reason.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from .bundled import bundled_profile_names, bundled_profiles_dir
from .calendar import CalendarValueError, Duration, WorkCalendar
from .errors import InvalidInput, PolicyError
from .messages import Message
from .workflow import COMPLEXITIES, Complexity

BREACH_KINDS = ("first_response", "resolution", "coordination")


FIELD_VOCABULARIES: dict[str, str] = {
    "channel": "channels",
    "category": "taxonomy",
    "severity": "severities",
    "target": "targets",
    "party": "parties",
    "department": "departments",
    "resolution": "resolutions",
}
"""Case fields whose values are codes of a policy vocabulary, and which vocabulary."""


CALENDAR_KIND_NAMES: dict[str, str] = {
    "cn": "calendar.kind.cn",
    "weekdays": "calendar.kind.weekdays",
    "everyday": "calendar.kind.everyday",
}
"""A calendar kind's name, as a catalog key (English: the code)."""


def calendar_kind_name(kind: str) -> Message | str:
    return Message(CALENDAR_KIND_NAMES[kind]) if kind in CALENDAR_KIND_NAMES else kind


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def fold(text: str) -> str:
    """A word as a vocabulary compares it: width (NFKC: ＡＢＣ, full-width digits), case and
    spacing ignored — 投诉 邮箱, ＥＭＡＩＬ and email read alike."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


MAX_ALIASES = 50
"""Aliases one code may list (each at most 100 characters)."""


class Label(_Strict):
    """A code's human name in both languages, and the other words people use for it."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    aliases: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=MAX_ALIASES
    )
    """Other words accepted for the code (a channel's 电话, 热线, 12305), typed or imported."""

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def names(self, code: str) -> tuple[str, ...]:
        """Everything that means this code: the code, both labels, the aliases."""
        return (code, self.en, self.zh, *self.aliases)


class ClassRule(Label):
    """A category, sub-category or channel, with what its complaints need whatever the agent
    picks: at least this severity (the mall's personal-safety classes are P1), escalated on
    intake (a regulator's referral)."""

    min_severity: str | None = None
    escalate: bool = False


class Category(ClassRule):
    sub: dict[str, ClassRule] = Field(default_factory=dict)


class Severity(Label):
    escalate_on_intake: bool = False
    hint: str = ""


class Resolution(Label):
    needs_amount: bool = False
    needs_kind: bool = False  # the amount must say how it is paid: a [compensation.kinds] code


class _Invalid(ValueError):
    """A validator's refusal with its catalog message (pydantic keeps it in the error's ctx)."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.msg = message


def _check_duration(value: str | None) -> str | None:
    if value is not None:
        Duration.parse(value)  # CalendarValueError: the reason travels to the PolicyError as it is
    return value


def _check_target(value: str | None) -> str | None:
    """An SLA target: a duration longer than zero (a zero target is breached at intake);
    `0wd`, the end of the working day, is a real target."""
    _check_duration(value)
    if value is not None and Duration.parse(value).minutes == 0:
        raise _Invalid(Message("policy.zero_target", value=value))
    return value


class SlaOverride(_Strict):
    first_response: str | None = None
    resolution: str | None = None
    coordination: str | None = None

    _durations = field_validator("first_response", "resolution", "coordination")(_check_target)


class SlaTargets(_Strict):
    first_response: str
    resolution: str
    coordination: str | None = None
    complex: SlaOverride | None = None

    _durations = field_validator("first_response", "resolution", "coordination")(_check_target)

    def for_complexity(self, complexity: str | None) -> dict[str, Duration]:
        """The targets that apply to a case of this complexity, parsed."""
        values = {k: getattr(self, k) for k in BREACH_KINDS}
        if complexity == Complexity.COMPLEX and self.complex is not None:
            values.update({k: v for k, v in self.complex.model_dump().items() if v is not None})
        return {k: Duration.parse(v) for k, v in values.items() if v is not None}


class CalendarPolicy(_Strict):
    kind: Literal["cn", "weekdays", "everyday"] = "cn"
    timezone: str = "Asia/Shanghai"
    business_hours: list[str] = Field(default_factory=lambda: ["09:00-12:00", "13:00-18:00"])
    extra_holidays: list[str] = Field(default_factory=list)
    extra_workdays: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _buildable(self) -> CalendarPolicy:
        self.build()
        return self

    def build(self) -> WorkCalendar:
        return WorkCalendar.from_strings(
            self.kind, self.timezone, self.business_hours, self.extra_holidays, self.extra_workdays
        )


class Compensation(_Strict):
    currency: str = "CNY"
    approval_threshold: float = Field(ge=0)
    kinds: dict[str, Label] = Field(default_factory=dict)


class Confirmation(_Strict):
    window: str = "3wd"
    _durations = field_validator("window")(_check_duration)


class RevisitPolicy(_Strict):
    delay: str = "2wd"
    attempts: int = Field(default=3, ge=1, le=10)
    retry_after: str = "1wd"
    _durations = field_validator("delay", "retry_after")(_check_duration)


class RepeatPolicy(_Strict):
    window_days: int = Field(default=30, ge=0)


class Retention(_Strict):
    personal_data_days: int = Field(default=730, ge=30)


BreachKind = Literal["first_response", "resolution", "coordination"]


def _resolution_only() -> list[BreachKind]:
    return ["resolution"]


class Escalation(_Strict):
    on_breach: list[BreachKind] = Field(default_factory=_resolution_only)


class Waiting(_Strict):
    """Limits on waiting for the customer (`pending_customer`), from when the wait began:
    `sla check` records a reminder once `remind_after` has passed, and after `give_up_after`
    closes the case (`no_response`) or escalates it. Unset: no limit."""

    remind_after: str | None = None
    give_up_after: str | None = None
    on_give_up: Literal["close", "escalate"] = "close"
    _durations = field_validator("remind_after", "give_up_after")(_check_target)


StatutoryAnchor = Literal["received", "delivered", "returned"]
StatutoryKind = Literal["duty", "window"]


class StatutoryDeadline(_Strict):
    """A legal limit beside the shop's own targets, with its source named (kefu.core.statutory).

    `anchor` is the day the period counts from: the complaint's receipt, the goods' sign-off /
    delivery / sale (`delivered_on`), or the returned goods' receipt (`returned_on`). A `duty`
    is the desk's to meet (met when a resolution is given; a hard clock, never paused); a
    `window` is the customer's right (shown beside the case, never breached)."""

    en: str
    zh: str
    target: str
    source: str
    categories: list[str] = Field(default_factory=list)  # empty: every case
    anchor: StatutoryAnchor = "received"
    kind: StatutoryKind = "duty"
    _durations = field_validator("target")(_check_duration)

    @field_validator("target")
    @classmethod
    def _in_days(cls, value: str) -> str:
        if Duration.parse(value).unit != "d":
            raise _Invalid(Message("policy.statutory_days", value=value))
        return value

    @cached_property
    def days(self) -> int:
        return Duration.parse(self.target).amount

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def applies_to(self, category: str | None) -> bool:
        return not self.categories or category in self.categories


class ProfileInfo(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: Label
    language: Literal["zh", "en"] = "zh"
    code_prefix: str = Field(default="KF", pattern=r"^[A-Z][A-Z0-9]{0,5}$")
    effective: str | None = None
    """The local date this policy takes effect on a new desk (`kefu init`); YYYY-MM-DD."""
    source: str = ""

    @field_validator("effective")
    @classmethod
    def _a_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                date.fromisoformat(value.strip())
            except ValueError:
                raise _Invalid(Message("calendar.not_date", name="effective", value=value)) from None
        return value


class Profile(_Strict):
    """A validated policy. Build it with `load_profile_text` / `load_profile_file`."""

    profile: ProfileInfo
    calendar: CalendarPolicy = Field(default_factory=CalendarPolicy)
    severities: dict[str, Severity]
    sla: dict[str, SlaTargets]
    channels: dict[str, ClassRule]
    taxonomy: dict[str, Category]
    targets: dict[str, Label] = Field(default_factory=dict)
    parties: dict[str, Label]
    departments: dict[str, Label]
    resolutions: dict[str, Resolution]
    compensation: Compensation
    confirmation: Confirmation = Field(default_factory=Confirmation)
    revisit: RevisitPolicy = Field(default_factory=RevisitPolicy)
    repeat: RepeatPolicy = Field(default_factory=RepeatPolicy)
    retention: Retention = Field(default_factory=Retention)
    escalation: Escalation = Field(default_factory=Escalation)
    waiting: Waiting = Field(default_factory=Waiting)
    statutory: dict[str, StatutoryDeadline] = Field(default_factory=dict)
    phrases: dict[str, Label] = Field(default_factory=dict)
    audit_checklist: dict[str, Label] = Field(default_factory=dict)

    @field_validator("severities", "channels", "taxonomy", "parties", "departments", "resolutions")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise _Invalid(Message("policy.empty"))
        return value

    @model_validator(mode="before")
    @classmethod
    def _fold_dotted_sla_keys(cls, data: Any) -> Any:
        """Accept `[sla."P2.complex"]` as well as `[sla.P2.complex]`."""
        if isinstance(data, dict) and isinstance(data.get("sla"), dict):
            sla = dict(data["sla"])
            for key in [k for k in sla if "." in k]:
                severity, _, variant = key.partition(".")
                if variant == "complex" and isinstance(sla.get(severity), dict):
                    sla[severity] = {**sla[severity], "complex": sla.pop(key)}
            data = {**data, "sla": sla}
        return data

    @model_validator(mode="after")
    def _names_are_unambiguous(self) -> Profile:
        """An alias or label that means two codes of one vocabulary is refused, naming both."""
        tables: list[tuple[tuple[str, ...], Mapping[str, Label]]] = [
            ((k,), self.vocabulary(k)) for k in LOOKUP_KINDS
        ]
        tables += [(("taxonomy", c, "sub"), cat.sub) for c, cat in self.taxonomy.items()]
        for where, table in tables:
            seen: dict[str, tuple[str, bool]] = {}
            for code, label in table.items():
                aliases = {fold(a) for a in label.aliases}
                for name in dict.fromkeys(fold(n) for n in label.names(code)):
                    other, other_alias = seen.setdefault(name, (code, name in aliases))
                    if other != code and (other_alias or name in aliases):
                        alias_of = code if name in aliases else other  # the later one, usually the new
                        raise _LocatedError(
                            (*where, alias_of, "aliases"),
                            Message(
                                "policy.alias_taken", alias=name, code=code, other=other, kind=".".join(where)
                            ),
                        )
        return self

    @model_validator(mode="after")
    def _class_rules_name_severities(self) -> Profile:
        located: list[tuple[tuple[str, ...], ClassRule]] = [
            (("channels", c), r) for c, r in self.channels.items()
        ]
        for code, category in self.taxonomy.items():
            located.append((("taxonomy", code), category))
            located += [(("taxonomy", code, "sub", sub), rule) for sub, rule in category.sub.items()]
        for where, rule in located:
            if rule.min_severity is not None and rule.min_severity not in self.severities:
                known = list(self.severities)
                raise _LocatedError(
                    (*where, "min_severity"),
                    Message("policy.unknown_severity", severity=rule.min_severity, known=known),
                )
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> Profile:
        for severity in self.severities:
            if severity not in self.sla:
                raise _LocatedError(
                    ("severities", severity), Message("policy.severity_without_sla", severity=severity)
                )
        for key in self.sla:
            if key not in self.severities:
                raise _LocatedError(("sla", key), Message("policy.sla_without_severity", severity=key))
        for code, item in self.statutory.items():
            for category in item.categories:
                if category not in self.taxonomy:
                    raise _LocatedError(
                        ("statutory", code, "categories"),
                        Message("policy.unknown_category", category=category),
                    )
        return self

    # -- derived views -------------------------------------------------------------------

    @cached_property
    def work_calendar(self) -> WorkCalendar:
        return self.calendar.build()

    @cached_property
    def legal_calendar(self) -> WorkCalendar:
        """The official mainland calendar in the desk's zone, whatever its own working days:
        statutory periods end on a working day of it (民法典 第二百零三条)."""
        return WorkCalendar(kind="cn", timezone=self.calendar.timezone)

    def with_entered_years(
        self, years: Iterable[int], holidays: Iterable[date], workdays: Iterable[date]
    ) -> Profile:
        """This profile on a desk that entered official years (`kefu.core.calendars`): a copy
        whose working calendars use them."""
        copy = self.model_copy()
        copy.__dict__["work_calendar"] = self.work_calendar.with_entered(years, holidays, workdays)
        copy.__dict__["legal_calendar"] = self.legal_calendar.with_entered(years, holidays, workdays)
        return copy

    @property
    def name(self) -> str:
        return self.profile.name

    def effective_at(self) -> datetime | None:
        """The instant its `effective` date begins in the desk's time zone, if it names one."""
        if self.profile.effective is None:
            return None
        day = date.fromisoformat(self.profile.effective.strip())
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.calendar.timezone)).astimezone(UTC)

    def severity_order(self) -> list[str]:
        return list(self.severities)

    def class_rule(
        self, category: str | None, subcategory: str | None
    ) -> tuple[ClassRule | None, str | None]:
        """The rule a complaint's class sets (the sub-category's when it sets one, else the
        category's), and the code it came from — (None, None) when neither sets one."""
        if category is None or category not in self.taxonomy:
            return None, None
        cat = self.taxonomy[category]
        sub = cat.sub.get(subcategory or "")
        if sub is not None and (sub.min_severity is not None or sub.escalate):
            return sub, f"{category}.{subcategory}"
        if cat.min_severity is not None or cat.escalate:
            return cat, category
        return None, None

    def _rules(self, category: str | None, subcategory: str | None, channel: str | None) -> list[ClassRule]:
        rule, _ = self.class_rule(category, subcategory)
        by_channel = self.channels.get(channel or "")
        return [r for r in (rule, by_channel) if r is not None]

    def required_severity(
        self, category: str | None, subcategory: str | None, severity: str, channel: str | None = None
    ) -> str:
        """`severity`, or the class's or channel's minimum when that is more severe (earlier
        in the order)."""
        order = self.severity_order()
        if severity not in order:
            return severity
        for rule in self._rules(category, subcategory, channel):
            if rule.min_severity is not None and order.index(rule.min_severity) < order.index(severity):
                severity = rule.min_severity
        return severity

    def escalates(
        self, category: str | None, subcategory: str | None, severity: str, channel: str | None = None
    ) -> bool:
        """Whether a complaint is escalated at once: its severity escalates on intake, or its
        class or channel says so."""
        level = self.severities.get(severity)
        if level is not None and level.escalate_on_intake:
            return True
        return self.escalating_rule(category, subcategory, channel) is not None

    def escalating_rule(
        self, category: str | None, subcategory: str | None, channel: str | None
    ) -> tuple[str, ClassRule] | None:
        """The class or channel rule that escalates such a complaint, with its code (the class's
        first), or None: what an escalation's note names."""
        rule, code = self.class_rule(category, subcategory)
        if rule is not None and code is not None and rule.escalate:
            return code, rule
        by_channel = self.channels.get(channel or "")
        if channel and by_channel is not None and by_channel.escalate:
            return channel, by_channel
        return None

    @cached_property
    def _parsed_targets(self) -> dict[tuple[str, str], Mapping[str, Duration]]:
        return {
            (severity, complexity): MappingProxyType(targets.for_complexity(complexity))
            for severity, targets in self.sla.items()
            for complexity in COMPLEXITIES
        }

    def sla_targets(self, severity: str, complexity: str | None) -> Mapping[str, Duration]:
        """The parsed targets for a severity and complexity (parsed once per profile; read-only)."""
        simple_or_complex = Complexity.COMPLEX if complexity == Complexity.COMPLEX else Complexity.SIMPLE
        return self._parsed_targets[(severity, simple_or_complex)]

    def vocabulary(self, kind: str) -> Mapping[str, Label]:
        """The code → label table for a kind: channels, parties, departments, targets, ...
        (read-only)."""
        if kind == "subcategories":
            return self._subcategories
        return MappingProxyType(getattr(self, kind))

    @cached_property
    def _subcategories(self) -> Mapping[str, Label]:
        return MappingProxyType(
            {
                f"{code}.{sub}" if "." not in sub else sub: label
                for code, cat in self.taxonomy.items()
                for sub, label in cat.sub.items()
            }
        )

    @cached_property
    def _lookup(self) -> dict[str, dict[str, str]]:
        """Per kind, every code and label casefolded → its code (the first entry that has it
        wins, as a search in file order would find it)."""
        found: dict[str, dict[str, str]] = {}
        for kind in LOOKUP_KINDS:
            index: dict[str, str] = {}
            for code, label in self.vocabulary(kind).items():
                for name in label.names(code):
                    index.setdefault(fold(name), code)
            found[kind] = index
        return found

    def field_label(self, field: str, code: str | None, lang: str) -> str:
        """A case field's code (channel, category, ...) as its label in `lang`."""
        return self.label(FIELD_VOCABULARIES[field], code, lang)

    def label(self, kind: str, code: str | None, lang: str) -> str:
        if not code:
            return ""
        item = self.vocabulary(kind).get(code)
        return item.text(lang) if item else code

    def resolve(self, kind: str, value: str) -> str | None:
        """A code of `kind` given its code, its English or Chinese label or one of its aliases
        (`fold`ed: case, width and spacing ignored)."""
        wanted = fold(value)
        if kind in self._lookup:
            return self._lookup[kind].get(wanted)
        table = self.vocabulary(kind)
        for code, label in table.items():
            if wanted in {fold(name) for name in label.names(code)}:
                return code
        if kind == "subcategories":
            for code in table:
                if fold(code.split(".", 1)[-1]) == wanted:
                    return code
        return None

    def resolve_sub(self, category: str, value: str) -> str | None:
        """A sub-category of `category` given its code, a label or an alias (`fold`ed)."""
        wanted = fold(value)
        for code, label in self.taxonomy[category].sub.items():
            if wanted in {fold(name) for name in label.names(code)}:
                return code
        return None

    def closest(self, kind: str, value: str, limit: int = 3) -> list[str]:
        """The codes whose names read most like `value` (difflib's ratio), best first: what an
        unknown word's hint suggests."""
        names = {
            fold(name): code for code, label in self.vocabulary(kind).items() for name in label.names(code)
        }
        found: list[str] = []
        for name in difflib.get_close_matches(fold(value), list(names), n=limit * 3, cutoff=0.5):
            if names[name] not in found:
                found.append(names[name])
        if not found:  # a word inside a label (快递 in 快递员) is a near match too
            wanted = fold(value)
            found = [c for n, c in names.items() if wanted and (wanted in n or n in wanted) and len(n) > 1]
            found = list(dict.fromkeys(found))
        return found[:limit]


LOOKUP_KINDS = ("channels", "taxonomy", "severities", "parties", "departments", "targets", "resolutions")
"""The vocabularies a word is looked up in by `Profile.resolve` (sub-categories: `resolve_sub`)."""


class _LocatedError(_Invalid):
    """A refusal about another place in the file than the one pydantic was validating."""

    def __init__(self, loc: tuple[str, ...], message: Message) -> None:
        super().__init__(message)
        self.loc = loc


# -- loading ---------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.\- ]+?))\s*=""")


def _split_key(key: str) -> tuple[str, ...]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^."\']+)', key)
    return tuple((a or b or c).strip() for a, b, c in parts if (a or b or c).strip())


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each table header and key path in a TOML text to the line it is written on."""
    lines: dict[tuple[str, ...], int] = {}
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = _split_key(header.group(1))
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault(current + _split_key(key.group(1)), number)
    return lines


def _line_of(text: str, loc: Iterable[Any]) -> int | None:
    path = tuple(str(part) for part in loc if not isinstance(part, int))
    known = _key_lines(text)
    for end in range(len(path), 0, -1):
        if path[:end] in known:
            return known[path[:end]]
        # "[sla.P2.complex]" may be written as [sla."P2.complex"]
        if end >= 3 and path[0] == "sla" and (path[0], f"{path[1]}.{path[2]}") in known:
            return known[(path[0], f"{path[1]}.{path[2]}")]
    return None


_FRAMES = {
    (True, True): "policy.problem",
    (True, False): "policy.problem_no_field",
    (False, True): "policy.problem_no_line",
    (False, False): "policy.problem_anywhere",
}


def _problem(text: str, origin: str, loc: Iterable[Any], reason: Message | str) -> Message:
    """The frame "<origin>, line N: field: reason", with the line and the field when known.

    `reason` is a catalog message, or pydantic's English `msg` when only pydantic knows it."""
    loc = tuple(loc)
    line = _line_of(text, loc)
    field = ".".join(str(p) for p in loc if not isinstance(p, int))
    key = _FRAMES[(bool(line), bool(field))]
    return Message(key, origin=origin, line=line, field=field, reason=reason)


def _reason(error: Any) -> tuple[tuple[Any, ...], Message | str]:
    """Where a pydantic error is and why: kefu's own message when kefu raised it."""
    loc = tuple(error.get("loc", ()))
    kind = error.get("type")
    if kind == "extra_forbidden":
        return loc, Message("policy.unknown_key")
    if kind == "missing":
        return loc, Message("policy.missing")
    ctx_error = (error.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _LocatedError):
        return ctx_error.loc, ctx_error.msg
    if isinstance(ctx_error, _Invalid | CalendarValueError):
        return loc, ctx_error.msg
    # Only pydantic knows this one (a wrong type, a pattern, a bound): its English text as it is.
    return loc, str(error.get("msg", "invalid")).removeprefix("Value error, ")


def load_profile_text(text: str, origin: str = "<policy>") -> Profile:
    """Parse and validate a profile; PolicyError names origin, line and reason on failure."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's own English sentence (it names the line and column).
        raise PolicyError(Message("policy.not_toml", origin=origin, detail=str(exc))) from None
    except RecursionError:  # nesting deeper than the parser goes: no policy is like that
        raise PolicyError(Message("policy.too_deep", origin=origin)) from None
    try:
        return Profile.model_validate(data)
    except _LocatedError as exc:
        raise PolicyError(_problem(text, origin, exc.loc, exc.msg)) from None
    except ValidationError as exc:
        # A misspelt key shows up as "unknown key" plus "required but missing": name the typo.
        errors = sorted(exc.errors(), key=lambda e: e.get("type") != "extra_forbidden")
        loc, reason = _reason(errors[0])
        problem = _problem(text, origin, loc, reason)
        more = len(errors) - 1
        if more == 1:
            problem = Message("policy.one_more_problem", problem=problem)
        elif more > 1:
            problem = Message("policy.more_problems", problem=problem, more=more)
        raise PolicyError(problem) from None


def load_profile_file(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        # the system's own words for why (strerror), as it gives them
        raise PolicyError(Message("policy.cannot_read", path=str(path), reason=exc.strerror)) from None
    except UnicodeDecodeError:
        raise PolicyError(Message("policy.not_utf8", path=str(path))) from None
    return load_profile_text(text, str(path))


def resolve_profile_source(name_or_path: str) -> tuple[str, str]:
    """The TOML text and origin for a bundled profile name or a file path."""
    candidate = Path(name_or_path)
    bundled_name = (bundled_profiles_dir() / f"{name_or_path}.toml").is_file()
    # A bundled name wins over a directory or stray file of that name in the working directory
    # (`mkdir mall && kefu --db mall/kefu.db init --profile mall`).
    if candidate.suffix == ".toml" or (candidate.exists() and not bundled_name):
        if not candidate.is_file():
            raise PolicyError(Message("policy.no_file", path=name_or_path))
        try:
            text = candidate.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError(Message("policy.not_utf8", path=name_or_path)) from None
        except OSError as exc:
            raise PolicyError(Message("policy.cannot_read", path=name_or_path, reason=exc.strerror)) from None
        return text, str(candidate)
    bundled = bundled_profiles_dir() / f"{name_or_path}.toml"
    if not bundled.is_file():
        names = bundled_profile_names()
        raise PolicyError(Message("policy.unknown_profile", name=name_or_path, names=names))
    return bundled.read_text(encoding="utf-8"), f"sample_data/profiles/{bundled.name}"


EFFECTIVE_SLACK = timedelta(days=1)
"""How far in the past a new revision's effective date may lie (a late run of a planned change)."""


def check_effective(effective_at: datetime | None, now: datetime) -> datetime | None:
    """A new revision's effective date: now, the future, or at most a day ago."""
    if effective_at is not None and effective_at < now - EFFECTIVE_SLACK:
        raise InvalidInput(Message("policy.effective_past"), field="effective_at")
    return effective_at
