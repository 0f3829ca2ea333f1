"""CaseScreen: one case — its fields, deadlines, history, and what this user may do now.

The keys for lifecycle actions come from the transition table: an action the user may take
now is shown in the action bar and the footer; one that exists in this state but is refused
to this user (role, ownership) is dimmed; the rest are hidden. Pressing a refused key (or
choosing it in the command palette) shows the core's reason and changes nothing.

Every action carries the version of the case the user is looking at; when someone else
changed it first the core refuses with a conflict, the user is told, and the screen shows
the new state (e.g. who claimed it). The case is re-read whenever the database changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from kefu.core import db as kdb
from kefu.core import desklog, lifecycle, queues, services, views
from kefu.core.errors import KefuError
from kefu.core.lifecycle import SCORES
from kefu.core.messages import Message as Say
from kefu.core.policy import FIELD_VOCABULARIES, Profile
from kefu.core.workflow import (
    ACTIONS,
    CLOCKS,
    DeadlineState,
    PaymentStatus,
    action_label,
    clock_label,
    event_label,
    field_label,
    find_transition,
    link_label,
    refusal,
    state_label,
    status_label,
    word_label,
)

from ..formatting import countdown, minute, severity_text, state_style
from ..i18n import word
from ..widgets.action_bar import ActionBar
from ..widgets.field_list import FieldList
from ..widgets.footer import KefuFooter
from ..widgets.header import KefuHeader
from ..widgets.timeline import Timeline, TimelineEntry

if TYPE_CHECKING:
    from ..app import KefuApp

ACTION_KEYS: dict[str, str] = {
    "triage": "t",
    "claim": "c",
    "assign": "a",
    "escalate": "e",
    "wait": "w",
    "resume": "r",
    "propose": "p",
    "approve": "v",
    "deny": "d",
    "confirm": "f",
    "reject": "x",
    "reopen": "o",
    "revisit": "b",
    "reclassify": "k",
    "merge": "m",
}
"""The key of each lifecycle action on the case screen."""
NOTE_KEY = "n"
CONTACT_KEY = "l"
CORRECT_KEY = "u"
WIDE_FROM = 110


def _action_bindings() -> list[BindingType]:
    bindings: list[BindingType] = [Binding("escape", "back", "Back", id="case.back")]
    for action in ACTIONS:
        key = ACTION_KEYS[action]
        label = action_label(action, "en")
        # Shown in the action bar (bright when allowed, dim when refused here), not the footer.
        bindings.append(Binding(key, f"act('{action}')", label, show=False, id=f"case.{action}"))
        bindings.append(Binding(key, f"refused('{action}')", show=False))
    bindings.append(Binding(NOTE_KEY, "note", "Note", show=False, id="case.note"))
    bindings.append(Binding(NOTE_KEY, "refused('note')", show=False))
    bindings.append(Binding(CONTACT_KEY, "contact", "Log contact", show=False, id="case.contact"))
    bindings.append(Binding(CONTACT_KEY, "refused('contact')", show=False))
    bindings.append(Binding(CORRECT_KEY, "correct", "Correct contact", show=False, id="case.correct"))
    bindings.append(Binding(CORRECT_KEY, "refused('correct')", show=False))
    return bindings


class CaseScreen(Screen[None]):
    CSS_PATH = "case.tcss"
    BINDINGS = _action_bindings()

    @dataclass
    class Loaded(Message):
        detail: views.CaseDetail | None
        users: list[tuple[str, str, str]]
        error: KefuError | None = None

    @dataclass
    class WriteDone(Message):
        done: Say | None
        error: KefuError | None = None

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.detail: views.CaseDetail | None = None
        self.users: list[tuple[str, str, str]] = []
        self.message_text = ""
        self._previous: tuple[int, str, str | None] | None = None
        self._own_change = False
        """Set when this screen's own write succeeded: the next change is not news."""
        self._view_recorded = False
        """Whether opening the case was recorded (`desklog.note_views`); refreshes are not."""

    @property
    def kefu(self) -> KefuApp:
        """The app, typed: engine, actor, language, clock."""
        return cast("KefuApp", self.app)

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield KefuHeader()
        yield Static(Text(self.code, style="bold"), id="case-title")
        with VerticalScroll(id="case-body"):
            with Horizontal(id="case-columns"):
                with Vertical(id="case-left"):
                    yield Static(id="deadlines-title", classes="section")
                    yield FieldList(id="case-deadlines")
                    yield Static(id="details-title", classes="section")
                    yield FieldList(id="case-fields")
                with Vertical(id="case-right"):
                    yield Static(id="history-title", classes="section")
                    yield Timeline(id="case-history")
        yield Static(id="case-message")
        yield ActionBar(id="case-actions")
        yield KefuFooter(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "data_version", self.reload, init=False)
        self.watch(self.app, "clock_tick", self.reload, init=False)
        self.watch(self.app, "lang", self._redraw, init=False)
        self._apply_width()
        self._draw_titles()
        self.query_one("#case-body").focus()
        self.reload()

    def on_resize(self) -> None:
        self._apply_width()

    def _apply_width(self) -> None:
        self.set_class(self.app.size.width < WIDE_FROM, "-narrow")

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self._load(self.code)

    @work(thread=True, exclusive=True, group="case-load")
    def _load(self, code: str) -> None:
        app = self.kefu
        try:
            with kdb.read_session(app.engine) as session:
                case = lifecycle.get_case(session, code)
                detail = views.case_detail(session, case, app.actor, app.now())
                users = queues.assignable_users(session)
            if not self._view_recorded:  # opening the case, not a refresh after a commit
                desklog.note_views(app.engine, viewer=app.actor, cases=[case], now=app.now(), where="tui")
                self._view_recorded = True
        except KefuError as exc:
            self.post_message(self.Loaded(None, [], exc))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(detail, users))

    @property
    def profile(self) -> Profile | None:
        """The policy revision the case was opened under."""
        return self.detail.profile if self.detail is not None else None

    def on_case_screen_loaded(self, message: Loaded) -> None:
        if message.error is not None:
            self.show_message(message.error.text(self.kefu.lang))
            return
        assert message.detail is not None
        detail = message.detail
        seen = (detail.version, detail.status, detail.owner)
        own_change, self._own_change = self._own_change, False
        if self._previous is not None and seen[0] != self._previous[0] and not own_change:
            if seen[1:] != self._previous[1:]:
                status = self._status_with_owner(detail)
                self.kefu.say(Say("ui.case_changed", code=self.code, status=status))
        self._previous = seen
        self.detail = detail
        self.users = message.users
        self._redraw()

    # -- drawing ------------------------------------------------------------------------------

    def _status_with_owner(self, detail: views.CaseDetail) -> str:
        text = status_label(detail.status, self.kefu.lang)
        if detail.owner:
            text += f" · {detail.owner}"
        return text

    def _draw_titles(self) -> None:
        app = self.kefu
        self.query_one("#deadlines-title", Static).update(Text(app.word("Deadlines"), style="bold"))
        self.query_one("#details-title", Static).update(Text(app.word("Details"), style="bold"))
        self.query_one("#history-title", Static).update(Text(app.word("History"), style="bold"))

    def _redraw(self) -> None:
        self._draw_titles()
        if self.detail is None or self.profile is None:
            return
        lang = self.kefu.lang
        detail = self.detail
        variables = self.app.theme_variables
        title = Text()
        title.append(detail.code, style="bold")
        title.append("  ")
        title.append(f" {status_label(detail.status, lang)} ", style="reverse")
        severity = severity_text(detail.severity, self._label("severity", detail.severity))
        title.append(f"  {severity}")
        title.append("  " + Say("ui.labelled", label=word("Owner", lang), value="").text(lang))
        title.append(detail.owner or word("nobody", lang), style="" if detail.owner else "dim")
        worst = detail.sla
        if worst in (DeadlineState.BREACHED, DeadlineState.AT_RISK):
            title.append("  ")
            title.append(state_label(worst, lang), style=state_style(worst, variables))
        self.query_one("#case-title", Static).update(title)
        self.query_one("#case-deadlines", FieldList).show(self._deadline_items())
        self.query_one("#case-fields", FieldList).show(self._field_items())
        self.query_one("#case-history", Timeline).show(self._timeline())
        self._draw_actions()
        self.refresh_bindings()

    def _deadline_items(self) -> list[tuple[str, str, Style | str]]:
        assert self.detail is not None
        lang = self.kefu.lang
        variables = self.app.theme_variables
        items: list[tuple[str, str, Style | str]] = []
        for clock in CLOCKS:
            deadline = self.detail.deadlines.get(clock)
            if deadline is None:
                continue
            state = deadline.state
            text = minute(deadline.due)
            standing = state_label(state, lang)
            if deadline.remaining_minutes is not None:
                text += f"  {standing} {countdown(deadline.remaining_minutes, lang)}"
            else:
                text += f"  {standing}"
                if deadline.met_at is not None:
                    text += f" {minute(deadline.met_at)[5:]}"
            if deadline.assumed_years:
                text += "  " + Say("ui.assumed_years", years=deadline.assumed_years).text(lang)
            items.append((clock_label(clock, lang), text, state_style(state, variables)))
        w = self.detail.waiting
        if w is not None:
            text = Say("cli.waiting_since", since=minute(w.since)).text(lang)
            if w.remind_at is not None:
                text += "  " + Say("cli.waiting_remind", at=minute(w.remind_at)).text(lang)
            if w.give_up_at is not None:
                key = "cli.waiting_close" if w.on_give_up == "close" else "cli.waiting_escalate"
                text += "  " + Say(key, at=minute(w.give_up_at)).text(lang)
            style_w: Style | str = (
                "dim" if w.stage == "waiting" else state_style(DeadlineState.AT_RISK, variables)
            )
            items.append((word("Waiting", lang), text, style_w))
        for p in self.detail.statutory_periods:
            text = Say("cli.statutory_ends", day=p.last_day).text(lang)
            if p.kind == "duty":
                text += f"  {state_label(p.state, lang)}"
                style: Style | str = state_style(p.state, variables)
            else:
                key = "cli.statutory_window_in" if p.received_within else "cli.statutory_window_out"
                text += f"  {Say(key).text(lang)}"
                style = "dim"
            items.append((clock_label(f"statutory.{p.code}", lang), f"{text}  {p.label(lang)}", style))
        for r in self.detail.records:  # earlier instances: what a reopen or a change replaced
            if r.ended_at is None:
                continue
            label = Say("ui.record_label", clock=clock_label(r.clock, lang), instance=r.instance).text(lang)
            text = f"{minute(r.due_at)}  {state_label(r.state, lang)}"
            if r.met_at is not None:
                text += f" {minute(r.met_at)[5:]}"
            if r.end_reason:
                text += f"  {word_label(r.end_reason, lang)}"
            items.append((label, text, "dim"))
        return items

    def _other_cases(self) -> str:
        """The customer's other cases, newest first: how many, and the latest few."""
        assert self.detail is not None
        d, lang = self.detail, self.kefu.lang
        if not d.customer_cases:
            return ""
        currency = d.profile.compensation.currency

        def outcome(c: views.CustomerCase) -> str:
            parts = [c.code, status_label(c.status, lang)]
            if c.close_reason and c.close_reason != "confirmed":
                parts.append(word_label(c.close_reason, lang))
            if c.satisfied is not None:
                parts.append(word_label("satisfied" if c.satisfied else "unsatisfied", lang))
            if c.compensation_paid:
                parts.append(f"{c.compensation_paid:g} {currency}")
            return " ".join(parts)

        shown = [outcome(c) for c in d.customer_cases[:3]]
        more = d.customer_case_count - 1 - len(shown)
        if more > 0:
            return Say("ui.other_cases_more", count=d.customer_case_count - 1, cases=shown, more=more).text(
                lang
            )
        return Say("ui.other_cases", count=d.customer_case_count - 1, cases=shown).text(lang)

    def _field_items(self) -> list[tuple[str, str, Style | str]]:
        assert self.detail is not None and self.profile is not None
        lang = self.kefu.lang
        d = self.detail
        labels = {name: self._label(name, getattr(d, name)) for name in FIELD_VOCABULARIES}
        sub = d.subcategory_label(lang)
        category = labels["category"] + (f" / {sub}" if sub else "")
        against = " ".join(v for v in (labels["target"], d.target_name) if v)
        incident = " ".join(v for v in (minute(d.incident_at), d.incident_place) if v)
        items: list[tuple[str, str, Style | str]] = [
            (word("Received", lang), minute(d.received_at), ""),
            (word("Channel", lang), labels["channel"], ""),
            (word("Customer", lang), d.purged_text(lang) or d.customer.name or "", "bold"),
            (word("Phone", lang), d.customer.phone or "", ""),
            (word("E-mail", lang), d.customer.email or "", ""),
            (word("Order", lang), d.order_no or "", ""),
            (word("Against", lang), against, ""),
            (word("Incident", lang), incident, ""),
            (word("Delivered on", lang), d.delivered_on or "", ""),
            (word("Goods returned on", lang), d.returned_on or "", ""),
            (word("Other cases", lang), self._other_cases(), ""),
            (word("Description", lang), d.description, ""),
            (word("Demand", lang), d.demand or "", ""),
            (word("Category", lang), category, ""),
            (word("Complexity", lang), word_label(d.complexity, lang), ""),
            (word("Party", lang), labels["party"], ""),
            (word("Department", lang), labels["department"], ""),
            (word("Resolution type", lang), labels["resolution"], ""),
        ]
        currency = d.profile.compensation.currency
        if d.compensation_amount:
            money = f"{d.compensation_amount:g} {currency} {d.compensation_kind_label(lang)}".strip()
            items.append((word("Compensation", lang), money, ""))
        if d.payments:
            ledger = " · ".join(f"#{p.no} {p.amount:g} {word_label(p.status, lang)}" for p in d.payments)
            paid = Say("ui.paid_ledger", paid=f"{d.compensation_paid:g}", currency=currency, ledger=ledger)
            items.append((word("Paid", lang), paid.text(lang), ""))
        for m in d.merged_cases:
            who = " ".join(x for x in (m.customer.name, m.customer.phone, m.customer.email, m.order_no) if x)
            merged = Say(
                "ui.merged_case",
                code=m.code,
                received=minute(m.received_at),
                channel=self._label("channel", m.channel),
                who=who or "—",
                description=m.description,
            )
            items.append((word("Merged from", lang), merged.text(lang), ""))
        if d.satisfied is not None:
            score = d.satisfaction_score
            text = word_label("yes" if d.satisfied else "no", lang)
            items.append((word("Satisfied", lang), text + (f" ({score}/{SCORES[-1]})" if score else ""), ""))
        if d.reopen_count:
            items.append((word("Reopened", lang), str(d.reopen_count), ""))
        if d.repeat_of:
            style = Style(color=self.app.theme_variables.get("warning"), bold=True)
            items.append((word("Repeat of", lang), d.repeat_of, style))
        links = ", ".join(f"{link.code} ({link_label(link.kind, lang)})" for link in d.links)
        items.append((word("Links", lang), links, ""))
        revisits = ", ".join(f"{minute(r.due_at)} {word_label(r.status, lang)}" for r in d.revisits)
        items.append((word("Revisits", lang), revisits, ""))
        attachments = ", ".join(
            [a.path for a in d.attachments]
            + [f"{a.path} ({m.code})" for m in d.merged_cases for a in m.attachments]
        )
        items.append((word("Attachments", lang), attachments, ""))
        source = " ".join(v for v in (d.source, d.external_id) if v)
        items.append((word("Source", lang), source, "dim"))
        items.append((word("Created by", lang), d.created_by, "dim"))
        return items

    def _label(self, name: str, code: Any) -> str:
        """A vocabulary code in the UI language (the code itself when the policy lacks it)."""
        if self.profile is None or not code:
            return ""
        return self.profile.label(FIELD_VOCABULARIES[name], str(code), self.kefu.lang)

    def _describe_value(self, name: str, value: Any) -> str:
        if self.profile is None:
            return "—" if value in (None, "") else str(value)
        return views.change_value_text(self.profile, name, value, self.kefu.lang)

    def _timeline(self) -> list[TimelineEntry]:
        assert self.detail is not None
        lang = self.kefu.lang
        entries = []
        # A merged duplicate's history is shown here too, marked with its code, in time order.
        events = [(e, "") for e in self.detail.history] + [
            (e, m.code) for m in self.detail.merged_cases for e in m.history
        ]
        events.sort(key=lambda item: item[0].at)
        for event, origin in events:
            title = (f"[{origin}] " if origin else "") + event_label(event.action, lang)
            before, after = event.from_status, event.to_status
            if before and after and before != after:
                title += f"  {status_label(before, lang)} → {status_label(after, lang)}"
            elif after and not before:
                title += f"  → {status_label(after, lang)}"
            details = []
            for name, change in sorted(event.changes.items()):
                if name == "status":
                    continue
                before, after = change if isinstance(change, list) else (None, change)
                shown = self._describe_value(name, after)
                if before not in (None, ""):
                    shown = f"{self._describe_value(name, before)} → {shown}"
                details.append(Say("ui.labelled", label=field_label(name, lang), value=shown).text(lang))
            entries.append(
                TimelineEntry(
                    when=minute(event.at)[5:],
                    actor=event.actor,
                    title=title,
                    details=details,
                    note=event.note_text(lang),
                )
            )
        return entries

    def _draw_actions(self) -> None:
        """The action bar: what `check_action` allows (bright) or dims, in table order."""
        lang = self.kefu.lang
        actions: list[tuple[str, str, bool]] = []
        for action in ACTIONS:
            state = self.check_action("act", (action,))
            if state is not False:
                actions.append((ACTION_KEYS[action], action_label(action, lang), bool(state)))
        writable = self.check_action("note", ())
        if writable is not False:
            actions.append((NOTE_KEY, word("Note", lang), bool(writable)))
            actions.append((CONTACT_KEY, word("Log contact", lang), bool(writable)))
            actions.append((CORRECT_KEY, word("Correct contact", lang), bool(writable)))
        self.query_one(ActionBar).show(actions, word("no actions for you here", lang))

    def show_message(self, text: str, *, error: bool = True) -> None:
        """Say something below the case (a refusal, a conflict) and as a notification."""
        self.message_text = text
        message = self.query_one("#case-message", Static)
        message.update(Text(text))
        message.set_class(bool(text), "-shown")
        message.set_class(error, "-error")
        if text:
            self.kefu.say(text, severity="error" if error else "information")

    # -- what may be done ---------------------------------------------------------------------

    def _allowed(self) -> list[str]:
        return list(self.detail.allowed_actions) if self.detail else []

    def _refusal(self, action: str) -> str | None:
        """The core's reason this user may not take `action` now (None when they may)."""
        if self.detail is None:
            return None
        actor, lang = self.kefu.actor, self.kefu.lang
        if action in ("note", "contact", "correct"):
            writing = services.writing_refusal(actor.role)
            return writing.text(lang) if writing else None
        owner = self.detail.owner
        reason = refusal(action, self.detail.status, actor.role, is_owner=owner == actor.name, owner=owner)
        if reason is None:
            return None
        return Say("case.refused", code=self.code, reason=reason).text(lang)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            if self.detail is None:
                return False
            name = str(parameters[0])
            if name in self._allowed():
                return True
            if find_transition(name, self.detail.status) is not None:
                return None  # exists in this state, refused to this user: dimmed
            return False
        if action in ("note", "contact", "correct"):
            if self.detail is None:
                return False
            return True if self._refusal("note") is None else None
        return True

    # -- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refused(self, action: str) -> None:
        if self.detail is None:
            return
        reason = self._refusal(action)
        if reason is None:
            # Allowed after all (the state moved on since the key was drawn): just do it.
            if action == "note":
                self.action_note()
            elif action == "contact":
                self.action_contact()
            elif action == "correct":
                self.action_correct()
            else:
                self.action_act(action)
            return
        self.show_message(reason)

    def action_act(self, action: str) -> None:
        from .action_form import ActionForm

        if self.detail is None or self.profile is None:
            return
        reason = self._refusal(action)
        if reason:
            self.show_message(reason)
            return
        version = self.detail.version
        if action == "claim":
            self._move(action, version, {})
            return
        transition = find_transition(action, self.detail.status)
        assert transition is not None
        d = self.detail
        current = {
            "category": d.category,
            "subcategory": d.subcategory,
            "severity": d.severity,
            "complexity": d.complexity,
            "party": d.party,
            "department": d.department,
            "into": d.repeat_of,  # a duplicate is most often of the case it repeats
        }
        form = ActionForm(
            transition,
            code=self.code,
            profile=self.profile,
            lang=self.kefu.lang,
            users=self.users,
            current=current,
            intro=self._form_intro(action),
        )

        def submitted(fields: dict[str, Any] | None) -> None:
            if fields is not None:
                self._move(action, version, fields)

        self.app.push_screen(form, submitted)

    def _form_intro(self, action: str) -> str | None:
        """What the form's user needs to see first: approving or denying, the amount and kind
        asked for, what the case has paid so far and the total if the customer accepts."""
        d = self.detail
        if d is None or action not in ("approve", "deny"):
            return None
        pending = next((p for p in d.payments if p.status == PaymentStatus.PENDING), None)
        if pending is None:
            return None
        lang, currency = self.kefu.lang, d.profile.compensation.currency
        kind = d.profile.compensation.kinds.get(pending.kind or "")
        return Say(
            "ui.approve_intro",
            amount=f"{pending.amount:g}",
            kind=kind.text(lang) if kind else pending.kind or "—",
            currency=currency,
            paid=f"{d.compensation_paid:g}",
            after=f"{d.compensation_paid + pending.amount:g}",
            threshold=f"{d.profile.compensation.approval_threshold:g}",
        ).text(lang)

    def action_note(self) -> None:
        from .note import NoteForm

        if self.detail is None:
            return

        def submitted(values: dict[str, Any] | None) -> None:
            if values:
                self._note(values.get("text"), None, None)

        self.app.push_screen(NoteForm(code=self.code, lang=self.kefu.lang), submitted)

    def action_contact(self) -> None:
        from .contact import ContactForm

        if self.detail is None or self.profile is None:
            return

        def submitted(values: dict[str, Any] | None) -> None:
            if values:
                self._note(values.get("text"), values["contact"], values.get("phrase"))

        form = ContactForm(code=self.code, profile=self.profile, lang=self.kefu.lang)
        self.app.push_screen(form, submitted)

    def action_correct(self) -> None:
        """Correct the customer's name, phone, e-mail or order (`kefu case set`), with a reason."""
        from .correct import CorrectContactForm

        if self.detail is None:
            return

        def corrected(code: str | None) -> None:
            if code:
                self._own_change = True
                self.kefu.say(Say("ui.contact_corrected", code=code))
                self.reload()

        self.app.push_screen(CorrectContactForm(self.detail), corrected)

    @work(thread=True, exclusive=True, group="case-write")
    def _move(self, action: str, version: int, fields: dict[str, Any]) -> None:
        app = self.kefu
        try:
            with kdb.write_session(app.engine) as session:
                case = lifecycle.move_case(
                    session=session,
                    code=self.code,
                    action=action,
                    actor=app.actor,
                    now=app.now(),
                    expected_version=version,
                    **fields,
                )
                status = case.status
        except KefuError as exc:
            self.post_message(self.WriteDone(None, error=exc))
            return
        lang = app.lang
        done = Say(
            "ui.moved", code=self.code, action=action_label(action, lang), status=status_label(status, lang)
        )
        self.post_message(self.WriteDone(done))

    @work(thread=True, exclusive=True, group="case-write")
    def _note(self, text: str | None, contact: str | None, phrase: str | None) -> None:
        app = self.kefu
        try:
            with kdb.write_session(app.engine) as session:
                services.add_note(
                    session=session,
                    code=self.code,
                    actor=app.actor,
                    now=app.now(),
                    text=text or "",
                    contact=contact,
                    phrase=phrase,
                )
        except KefuError as exc:
            self.post_message(self.WriteDone(None, error=exc))
            return
        done = Say("ui.contact_logged" if contact else "ui.note_added", code=self.code)
        self.post_message(self.WriteDone(done))

    def on_case_screen_write_done(self, message: WriteDone) -> None:
        if message.error is not None:
            self.show_message(message.error.text(self.kefu.lang))
        else:
            self._own_change = True
            self.show_message("", error=False)
            if message.done is not None:
                self.kefu.say(message.done)
        self.reload()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        """Every lifecycle action, allowed or not: choosing a refused one explains why."""
        commands: list[tuple[str, str, Any]] = []
        both = self.kefu.both
        for action in ACTIONS:
            commands.append(
                (
                    f"{both(action_label(action, 'en'))} ({ACTION_KEYS[action]})",
                    self.code,
                    lambda action=action: self.action_refused(action),
                )
            )
        commands.append((f"{both('Note')} ({NOTE_KEY})", self.code, self.action_note))
        commands.append((f"{both('Log contact')} ({CONTACT_KEY})", self.code, self.action_contact))
        commands.append(
            (f"{both('Correct contact')} ({CORRECT_KEY})", self.code, lambda: self.action_refused("correct"))
        )
        return commands
