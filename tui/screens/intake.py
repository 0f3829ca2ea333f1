"""IntakeScreen: record a new complaint, warned at once when it repeats an earlier one.

As soon as the phone number or order number matches a case received within the policy's
repeat window, the form says so (the core links the new case to it on saving). Input is
checked with the core's own `validate_intake` before saving; saving runs in a worker, and a
refusal keeps the form open with the core's sentence in the UI language, on the field it names,
and everything the agent typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.worker import get_current_worker

from kefu.core import db as kdb
from kefu.core import intake, policies, services
from kefu.core.errors import KefuError
from kefu.core.messages import Message as Say
from kefu.core.policy import Profile
from kefu.core.workflow import status_label

from ..forms import FieldSpec, subcategory_options, vocabulary_options
from ..i18n import word
from .form import FormScreen

REPEATS_SHOWN = 3
"""Earlier cases named in the repeat warning (the rest are counted)."""

if TYPE_CHECKING:
    from ..app import KefuApp


def intake_fields(profile: Profile, lang: str) -> list[FieldSpec]:
    def select(name: str, label: str, kind: str, required: bool = False) -> FieldSpec:
        return FieldSpec(name, word(label, lang), "select", required, vocabulary_options(profile, kind, lang))

    def text(name: str, label: str, required: bool = False, placeholder: str = "") -> FieldSpec:
        return FieldSpec(name, word(label, lang), "text", required, placeholder=placeholder)

    anchors = {rule.anchor for rule in profile.statutory.values()}
    goods_days = [
        text(name, label, placeholder="YYYY-MM-DD")
        for name, label, anchor in (
            ("delivered_on", "Delivered on", "delivered"),
            ("returned_on", "Goods returned on", "returned"),
        )
        if anchor in anchors  # only where a statutory period counts from it
    ]
    return [
        select("channel", "Channel", "channels", required=True),
        text("customer_name", "Customer name"),
        text("customer_phone", "Phone"),
        text("order_no", "Order"),
        FieldSpec("description", word("Description", lang), "longtext", True),
        text("demand", "Demand"),
        select("target", "Target", "targets"),
        text("target_name", "Target name"),
        text("incident_at", "Incident", placeholder="YYYY-MM-DD HH:MM"),
        text("incident_place", "Incident place"),
        *goods_days,
        text("customer_email", "E-mail"),
        select("category", "Category", "taxonomy"),
        FieldSpec(
            "subcategory",
            word("Subcategory", lang),
            "select",
            False,
            depends_on="category",
            options_by=subcategory_options(profile, lang),
        ),
        select("severity", "Severity", "severities"),
        select("party", "Party", "parties"),
        select("department", "Department", "departments"),
    ]


class IntakeScreen(FormScreen):
    """Returns the new case's code, or None when cancelled."""

    CSS_PATH = ["form.tcss", "intake.tcss"]

    @dataclass
    class RepeatsFound(Message):
        key: tuple[str | None, str | None]
        warning: Say | None

    @dataclass
    class Saved(Message):
        code: str | None
        error: KefuError | None = None

    def __init__(self) -> None:
        app = cast("KefuApp", self.app)
        self.kefu = app
        profile = app.profile
        super().__init__(
            word("New complaint", app.lang),
            intake_fields(profile, app.lang),
            lang=app.lang,
            save_label="Record",
        )
        self._repeat_timer: Timer | None = None
        self._saving = False
        self._notices: dict[str, str | None] = {"rule": None, "repeat": None}

    # -- repeat warning -----------------------------------------------------------------------

    def field_changed(self, name: str, value: str | None) -> None:
        if name in ("channel", "category", "subcategory", "severity"):
            rule = intake.rule_notice(
                self.kefu.profile, channel=self.value_of("channel"), category=self.value_of("category"),
                subcategory=self.value_of("subcategory"), severity=self.value_of("severity"),
            )  # fmt: skip
            self._notices["rule"] = rule.text(self.lang) if rule is not None else None
            self._show_notices()
        if name not in ("customer_phone", "order_no"):
            return
        if self._repeat_timer is not None:
            self._repeat_timer.stop()
        self._repeat_timer = self.set_timer(0.3, self._look_for_repeats)

    def _show_notices(self) -> None:
        """The policy's effect and the repeat warning, one under the other."""
        shown = [text for text in (self._notices["rule"], self._notices["repeat"]) if text]
        self.show_warning("\n".join(shown) or None)

    def _repeat_key(self) -> tuple[str | None, str | None]:
        return intake.repeat_key(self.value_of("customer_phone"), self.value_of("order_no"))

    def _look_for_repeats(self) -> None:
        self._find_repeats(self._repeat_key())

    @work(thread=True, exclusive=True, group="intake-repeats")
    def _find_repeats(self, key: tuple[str | None, str | None]) -> None:
        phone, order_no = key
        if not phone and not order_no:
            self.post_message(self.RepeatsFound(key, None))
            return
        app = self.kefu
        now = app.now()
        with kdb.read_session(app.engine) as session:
            _, profile = policies.policy_in_force(session, now)
            earlier = intake.earlier_complaints(
                session, profile, phone=phone, order_no=order_no, received_at=now
            )
            found = [(case.code, case.status) for case in earlier]
        if get_current_worker().is_cancelled:
            return
        if not found:
            self.post_message(self.RepeatsFound(key, None))
            return
        lang = app.lang
        cases: list[Say | str] = [
            Say("ui.case_status", code=code, status=status_label(status, lang))
            for code, status in found[:REPEATS_SHOWN]
        ]
        if len(found) > REPEATS_SHOWN:
            cases.append("…")
        warning = Say("ui.repeat_warning", cases=cases, count=len(found), days=profile.repeat.window_days)
        self.post_message(self.RepeatsFound(key, warning))

    def on_intake_screen_repeats_found(self, message: RepeatsFound) -> None:
        if message.key == self._repeat_key():
            self._notices["repeat"] = message.warning.text(self.lang) if message.warning else None
            self._show_notices()

    # -- saving -------------------------------------------------------------------------------

    def submit(self, values: dict[str, Any]) -> None:
        if self._saving:
            return
        app = self.kefu
        fields = dict(values)
        try:
            if fields.get("incident_at"):
                fields["incident_at"] = services.parse_when(
                    fields["incident_at"], app.profile.calendar.timezone, "incident_at"
                )
            for name in ("delivered_on", "returned_on"):
                if fields.get(name):
                    fields[name] = services.parse_day(fields[name], name)
            intake.validate_intake(app.profile, fields, app.now())
        except KefuError as exc:
            self.show_problem(exc)
            return
        self._saving = True
        self._save(fields)

    @work(thread=True, exclusive=True, group="intake-save")
    def _save(self, fields: dict[str, Any]) -> None:
        app = self.kefu
        try:
            with kdb.write_session(app.engine) as session:
                case = intake.create_case(session=session, actor=app.actor, now=app.now(), **fields)
                code = case.code
        except KefuError as exc:
            self.post_message(self.Saved(None, exc))
            return
        self.post_message(self.Saved(code))

    def on_intake_screen_saved(self, message: Saved) -> None:
        self._saving = False
        if message.code is None:
            if message.error is not None:
                self.show_problem(message.error)
            return
        self.dismiss(message.code)
