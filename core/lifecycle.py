"""The one door every status change goes through, people's and the system's.

`move_case` (a person, `kefu case move` and the TUI) and `system_move` (the system actor: an
escalation on a breach, closing an unanswered confirmation) both end in `take`, which looks the
transition up in `workflow.TRANSITIONS`, checks it, runs the action's typed handler, asserts
the status it returns is one the row names, applies the rules every move shares (a reopen's
resets, the pause column, the deadlines the row recomputes from the history), and hands back
what changed. The database half then writes the case and its event in the caller's
transaction, so a change and its history commit together or not at all. An intake's own
escalation is planned through `take` too (`kefu.core.intake`), on a case not yet stored.

`validate_fields` is the pure check of a transition's input (codes and labels resolved against
the policy, amounts, scores, yes/no): the TUI's forms call it before submitting, so the two
can never disagree. See docs/ARCHITECTURE.md, "Status changes".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from . import deadlines, payments, sla
from .calendar import Duration
from .errors import Conflict, InvalidInput, NotFound, Refused
from .history import Changes, StatusChange, add_event, event_row, status_history
from .messages import Message, Text, neutralise
from .models import Case, CaseLink, Event, Revisit, User
from .policies import case_profile
from .policy import FIELD_VOCABULARIES, Profile
from .workflow import (
    CASE_OWNERS,
    COMPLEXITIES,
    PAUSED,
    REJECT_REASONS,
    RESOLUTION_GIVEN,
    REVISIT_OUTCOMES,
    REVISIT_WAITING,
    REVISITED_CLOSES,
    SYSTEM_ACTOR,
    Action,
    Clock,
    CloseReason,
    Complexity,
    EventKind,
    LinkKind,
    RevisitOutcome,
    RevisitStatus,
    Status,
    Transition,
    action_code,
    find_transition,
    refusal,
    word_code,
)

SCORES = range(1, 6)
"""A satisfaction score: 1 (very unsatisfied) to 5 (very satisfied)."""
MAX_AMOUNT = 1_000_000_000
"""The largest amount kefu takes (a typo beyond it is refused, not stored)."""
MAX_TEXT = 20_000
"""Longest free text kept in one field; longer input is refused, not silently cut."""


class Actor(Protocol):
    """Who takes an action: a kefu user, or the system."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """The system itself (the clock, the import): recorded as `kefu` in the history."""

    name: str = SYSTEM_ACTOR
    role: str = "system"


SYSTEM = SystemActor()


# -- checking input (pure: the TUI's forms call this too) -----------------------------------


def clean_text(value: Any, field: str, *, required: bool = False) -> str | None:
    """Free text, stripped, control characters neutralised (`messages.neutralise`: an ESC
    sequence in a description is stored as visible ␛[2J); None when empty; refused when
    longer than `MAX_TEXT`."""
    text = "" if value is None else value.strip() if type(value) is str else str(value).strip()
    text = neutralise(text)
    if not text:
        if required:
            raise InvalidInput(Message("field.required", field=field), field=field)
        return None
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            Message("field.too_long", field=field, length=len(text), limit=MAX_TEXT), field=field
        )
    return text


def vocabulary_code(profile: Profile, field: str, value: Any, *, required: bool = False) -> str | None:
    """The code of a case field chosen from a policy vocabulary (`policy.FIELD_VOCABULARIES`),
    given its code or its English or Chinese label."""
    text = clean_text(value, field, required=required)
    if text is None:
        return None
    kind = FIELD_VOCABULARIES[field]
    code = profile.resolve(kind, text)
    if code is None:
        table = profile.vocabulary(kind)
        choices = [_label_param(profile, kind, c) for c in table]
        close = [_label_param(profile, kind, c) for c in profile.closest(kind, text)]
        message = (
            Message("field.unknown_code_close", field=field, value=text, close=close, choices=choices)
            if close
            else Message("field.unknown_code", field=field, value=text, choices=choices)
        )
        raise InvalidInput(message, field=field)
    return code


def subcategory_code(profile: Profile, category: str | None, value: Any) -> str | None:
    text = clean_text(value, "subcategory")
    if text is None:
        return None
    if category is None:
        raise InvalidInput(Message("subcategory.needs_category"), field="subcategory")
    subs = profile.taxonomy[category].sub
    code = profile.resolve_sub(category, text)
    if code is not None:
        return code
    parent = _label_param(profile, "taxonomy", category)
    if not subs:
        raise InvalidInput(
            Message("subcategory.none_defined", value=text, category=parent), field="subcategory"
        )
    choices = [{"code": c, "en": lbl.en, "zh": lbl.zh} for c, lbl in subs.items()]
    raise InvalidInput(
        Message("subcategory.not_under", value=text, category=parent, choices=choices), field="subcategory"
    )


def _as_given(value: Any) -> str | int | float:
    """A value as the user gave it, for a message quoting it (`{value!r}`): numbers stay
    numbers (`-5.0`, not `'-5.0'`), anything else is its text."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def complexity_code(value: Any) -> str:
    code = word_code(clean_text(value, "complexity") or Complexity.SIMPLE, COMPLEXITIES)
    if code is None:
        raise InvalidInput(Message("complexity.invalid", value=_as_given(value)), field="complexity")
    return code


_YES = ("y", "true", "1", RevisitOutcome.SATISFIED)
_NO = ("n", "false", "0", RevisitOutcome.UNSATISFIED)
"""Besides yes / no in either language: what a spreadsheet or a form says for them."""


def yes_no(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if word_code(text, ("yes", *_YES)) is not None:
        return True
    if word_code(text, ("no", *_NO)) is not None:
        return False
    raise InvalidInput(Message("field.yes_no", field=field, value=_as_given(value)), field=field)


_MONEY_MARKS = re.compile(r"^\s*(?:[¥￥]|RMB|CNY)\s*|\s*(?:元|块|CNY|RMB)\s*$", re.IGNORECASE)


def amount_value(value: Any, field: str) -> float | None:
    """An amount in yuan: a number, or text as people write money (¥20.00, 20元, 1,280)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = _MONEY_MARKS.sub("", unicodedata.normalize("NFKC", value)).replace(",", "") or value
    try:
        amount = round(float(value), 2)  # in yuan; more decimals than fen are refused below
    except (TypeError, ValueError):
        raise InvalidInput(
            Message("amount.not_number", field=field, value=_as_given(value)), field=field
        ) from None
    if amount != amount or amount in (float("inf"), float("-inf")):
        raise InvalidInput(Message("amount.not_number", field=field, value=_as_given(value)), field=field)
    if amount < 0:
        raise InvalidInput(Message("amount.negative", field=field, value=_as_given(value)), field=field)
    if amount > MAX_AMOUNT:
        raise InvalidInput(
            Message("amount.too_large", field=field, value=_as_given(value), limit=MAX_AMOUNT), field=field
        )
    if abs(float(value) * 100 - round(float(value) * 100)) > 1e-6:
        raise InvalidInput(Message("amount.cents", field=field, value=_as_given(value)), field=field)
    return amount


def score_value(value: Any) -> int | None:
    """A satisfaction score: 1 to 5, also written 5分."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip().removesuffix("分").strip() or value
    try:
        score = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(Message("score.not_whole", value=_as_given(value)), field="score") from None
    if score not in SCORES:
        raise InvalidInput(Message("score.range", score=score), field="score")
    return score


def _label_param(profile: Profile, kind: str, code: str) -> dict[str, str]:
    label = profile.vocabulary(kind)[code]
    return {"code": code, "en": label.en, "zh": label.zh}


EARLIEST_YEAR = 2000
"""Complaint, incident and goods dates before this year are typing or export mistakes."""


def goods_day(profile: Profile, value: Any, name: str, now: datetime) -> date | None:
    """A sign-off / delivery / sale date or a goods-returned date: a date (a time given with it
    is read in the desk's zone and dropped), not in the future, not before EARLIEST_YEAR."""
    if value is None or value == "":
        return None
    calendar = profile.work_calendar
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput(Message("intake.needs_tz", field=name), field=name)
        value = calendar.local(value).date()
    if not isinstance(value, date):
        raise InvalidInput(Message("intake.not_a_day", field=name, value=str(value)), field=name)
    if value > calendar.local(now).date():
        raise InvalidInput(Message("intake.day_in_future", field=name, day=value.isoformat()), field=name)
    if value.year < EARLIEST_YEAR:
        raise InvalidInput(
            Message("intake.too_early", field=name, day=value.isoformat(), year=EARLIEST_YEAR), field=name
        )
    return value


def check_goods_days(delivered_on: date | None, returned_on: date | None) -> None:
    if delivered_on is not None and returned_on is not None and returned_on < delivered_on:
        raise InvalidInput(
            Message(
                "intake.returned_before_delivered",
                returned=returned_on.isoformat(),
                delivered=delivered_on.isoformat(),
            ),
            field="returned_on",
        )


def validate_fields(
    profile: Profile, transition: Transition, fields: Mapping[str, Any], code: str
) -> dict[str, Any]:
    """A transition's input checked and normalised against the policy (no database needed):
    codes for labels, numbers for amounts and scores, booleans for yes / no. Raises
    InvalidInput naming the field; `code` is the case's, for the message."""
    action = transition.action
    unknown = set(fields) - set(transition.required) - set(transition.optional)
    if unknown:
        raise InvalidInput(Message("move.takes_no", action=action, fields=sorted(unknown)))
    missing = [name for name in transition.required if fields.get(name) in (None, "")]
    if missing:
        raise InvalidInput(Message("move.needs", code=code, action=action, fields=missing), field=missing[0])
    out = dict(fields)
    out["note"] = clean_text(fields.get("note"), "note")
    if action == Action.TRIAGE:
        category = vocabulary_code(profile, "category", fields["category"], required=True)
        out.update(
            category=category,
            subcategory=subcategory_code(profile, category, fields.get("subcategory")),
            severity=vocabulary_code(profile, "severity", fields["severity"], required=True),
            complexity=complexity_code(fields["complexity"]),
            party=vocabulary_code(profile, "party", fields["party"], required=True),
            department=vocabulary_code(profile, "department", fields["department"], required=True),
        )
    elif action == Action.PROPOSE:
        out.update(_proposal(profile, fields, code))
    elif action == Action.CONFIRM:
        out.update(satisfied=yes_no(fields["satisfied"], "satisfied"), score=score_value(fields.get("score")))
    elif action == Action.REJECT:
        reason = word_code(str(fields["reason"]), REJECT_REASONS)
        if reason is None:
            raise InvalidInput(Message("reject.reason", reasons=list(REJECT_REASONS)), field="reason")
        duplicate_of = clean_text(fields.get("duplicate_of"), "duplicate_of")
        if reason == CloseReason.DUPLICATE and not duplicate_of:
            raise InvalidInput(Message("reject.needs_original", code=code), field="duplicate_of")
        if reason != CloseReason.DUPLICATE and duplicate_of:
            raise InvalidInput(Message("reject.duplicate_of_without"), field="duplicate_of")
        out.update(reason=reason, duplicate_of=duplicate_of)
    elif action == Action.REVISIT:
        outcome = word_code(str(fields["outcome"]), REVISIT_OUTCOMES)
        if outcome is None:
            raise InvalidInput(Message("revisit.outcome", outcomes=list(REVISIT_OUTCOMES)), field="outcome")
        score = score_value(fields.get("score"))
        if outcome == RevisitOutcome.UNSATISFIED and not out["note"]:
            raise InvalidInput(Message("revisit.unsatisfied_needs_note", code=code), field="note")
        if outcome == RevisitOutcome.UNREACHABLE and score is not None:
            raise InvalidInput(Message("revisit.unreachable_no_score", code=code), field="score")
        out.update(outcome=outcome, score=score)
    elif action == Action.ASSIGN:
        out["owner"] = clean_text(fields["owner"], "owner", required=True)
    elif action == Action.MERGE:
        out["into"] = clean_text(fields["into"], "into", required=True)
    elif action == Action.RECLASSIFY:
        given = {
            k: fields.get(k)
            for k in ("category", "subcategory", "severity", "complexity", "party", "department")
        }
        if all(v in (None, "") for v in given.values()):
            raise InvalidInput(Message("reclassify.nothing", code=code), field="category")
        for name, kind in (
            ("category", "category"),
            ("severity", "severity"),
            ("party", "party"),
            ("department", "department"),
        ):
            if given[name] not in (None, ""):
                out[name] = vocabulary_code(profile, kind, given[name], required=True)
        if given["complexity"] not in (None, ""):
            out["complexity"] = complexity_code(given["complexity"])
    return out


def _proposal(profile: Profile, fields: Mapping[str, Any], code: str) -> dict[str, Any]:
    resolution = vocabulary_code(profile, "resolution", fields["resolution"], required=True)
    assert resolution is not None
    rule = profile.resolutions[resolution]
    label = _label_param(profile, "resolutions", resolution)
    amount = amount_value(fields.get("amount"), "amount")
    if rule.needs_amount and not amount:
        raise InvalidInput(Message("propose.needs_amount", code=code, resolution=label), field="amount")
    if not rule.needs_amount and amount:
        raise InvalidInput(Message("propose.takes_no_amount", code=code, resolution=label), field="amount")
    kinds = profile.compensation.kinds
    named = [{"code": c, "en": lbl.en, "zh": lbl.zh} for c, lbl in kinds.items()]
    kind = None
    if fields.get("compensation_kind"):
        wanted = str(fields["compensation_kind"]).strip().casefold()
        kind = next(
            (c for c, lbl in kinds.items() if wanted in (c, lbl.en.casefold(), lbl.zh.casefold())), None
        )
        if kind is None:
            raise InvalidInput(Message("propose.unknown_kind", kinds=named), field="compensation_kind")
    if kind is None and rule.needs_kind and kinds:
        raise InvalidInput(
            Message("propose.needs_kind", code=code, resolution=label, kinds=named), field="compensation_kind"
        )
    return {"resolution": resolution, "amount": amount, "compensation_kind": kind}


# -- one move --------------------------------------------------------------------------------


@dataclass
class Move:
    """One transition being taken: what a handler reads and changes.

    `history` is the case's status changes before this move; `session` is None when the move
    is planned on a case not stored yet (an intake's escalation)."""

    case: Case
    transition: Transition
    actor: Actor
    now: datetime
    profile: Profile
    fields: dict[str, Any]
    history: list[StatusChange]
    session: Session | None = None
    changes: Changes = field(default_factory=dict)
    note: Text | None = None
    effects: list[Callable[[Session, Case], object]] = field(default_factory=list)
    """What to do once the case row is written (links, revisits): they need its id."""

    def set(self, **values: Any) -> None:
        """Assign fields on the case, remembering before → after for the event."""
        for name, value in values.items():
            before = getattr(self.case, name)
            if before != value:
                self.changes[name] = (before, value)
                setattr(self.case, name, value)

    def db(self) -> Session:
        assert self.session is not None, f"{self.transition.action} needs the database"
        return self.session


Handler = Callable[[Move], Status]


def take(move: Move) -> Status:
    """Run the transition on `move.case` (in memory): the handler, then the rules every move
    shares. Returns the new status."""
    transition, case, now = move.transition, move.case, move.now
    before = Status(case.status)
    to = HANDLERS[(transition.action, transition.system)](move)
    if to not in transition.targets:
        raise AssertionError(
            f"{transition.action} from {before} returned {to}, not one of {transition.targets}"
        )
    clocks = set(transition.recomputes)
    if before in RESOLUTION_GIVEN and to == Status.IN_PROGRESS:
        # Back to work after a resolution: counted as a reopen, the resolution clock restarts.
        move.set(reopen_count=case.reopen_count + 1, resolved_at=None, closed_at=None, close_reason=None)
        clocks.add(Clock.RESOLUTION)
    if to in PAUSED and before not in PAUSED:
        move.set(paused_at=now)
    elif before in PAUSED and to not in PAUSED:
        move.set(paused_at=None)
        clocks.update(Clock)  # the wait is over: every clock moves on by it
    move.set(status=to)
    if clocks:
        history = [*move.history, (before.value, to.value, now)]
        inputs = clock_input(case, history)
        if inputs.first_response_at is not None:
            clocks.discard(Clock.FIRST_RESPONSE)  # a met deadline is never computed again
        if inputs.coordinated_at is not None:
            clocks.discard(Clock.COORDINATION)
        deadlines = sla.compute_deadlines(move.profile, inputs, now)
        move.set(**{f"due_{clock.value}": deadlines[clock] for clock in sla.CLOCKS if clock in clocks})
    case.updated_at = now
    return to


def clock_input(case: Case, history: Sequence[StatusChange]) -> sla.ClockInput:
    """Everything a case's deadlines depend on: the case and its status history."""
    return sla.ClockInput(
        received_at=case.received_at,
        severity=case.severity,
        complexity=case.complexity,
        escalated_at=case.escalated_at,
        pauses=sla.pauses_from_events(history),
        first_response_at=case.first_response_at,
        reopened_at=sla.reopened_at_from_events(history),
        coordinated_at=sla.coordinated_at_from_events(history, case.escalated_at),
    )


def recompute_deadlines(session: Session, case: Case, now: datetime) -> dict[Clock, datetime | None]:
    """The deadlines rebuilt from the policy revision and the event history alone."""
    history = status_history(session, case.id)
    return sla.compute_deadlines(case_profile(session, case), clock_input(case, history), now)


@dataclass(frozen=True)
class Moved:
    """A deadline `rebase_deadlines` moved: the clock, its due time before and after."""

    clock: Clock
    before: datetime
    after: datetime


def rebase_deadlines(session: Session, case: Case, now: datetime, *, write: bool = True) -> list[Moved]:
    """Recompute the case's unmet deadlines on the working calendar as it is now (after an
    admin entered or corrected a year): the time already used stays used (the same start,
    target and waits, counted on the new calendar); each deadline that moves gets its record
    updated and one `rebase` event. Met and ended deadlines are never touched. With `write`
    False, only says what would move."""
    profile = case_profile(session, case)
    history = status_history(session, case.id)
    fresh = sla.compute_deadlines(profile, clock_input(case, history), now)
    open_clocks = {
        r.clock for r in deadlines.case_rows(session, case.id) if r.ended_at is None and r.met_at is None
    }
    moved: list[Moved] = []
    for clock in sla.CLOCKS:
        column = f"due_{clock.value}"
        before, after = getattr(case, column), fresh[clock]
        if clock in open_clocks and before is not None and after is not None and before != after:
            moved.append(Moved(clock, before, after))
    if not moved or not write:
        return moved
    for m in moved:
        setattr(case, f"due_{m.clock.value}", m.after)
    deadlines.sync(session, case, profile, now, history)
    assert case.id is not None
    local = profile.work_calendar.local
    for m in moved:
        was, now_due = (local(t).isoformat(timespec="minutes") for t in (m.before, m.after))
        note = Message("note.rebased", clock=m.clock, before=was, after=now_due)
        changes = {f"due_{m.clock.value}": (m.before, m.after)}
        add_event(
            session,
            case.id,
            event_row(actor=SYSTEM_ACTOR, action=EventKind.REBASE, at=now, changes=changes, note=note),
        )
    session.add(case)
    code = case.code
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(Message("case.concurrent", code=code)) from None
    return moved


# -- the database half -----------------------------------------------------------------------


def get_case(session: Session, code: str) -> Case:
    case = session.exec(select(Case).where(Case.code == code.strip().upper())).first()
    if case is None:
        raise NotFound(Message("case.not_found", code=code))
    return case


def move_case(
    *,
    session: Session,
    code: str,
    action: str,
    actor: User,
    now: datetime,
    expected_version: int | None = None,
    system_note: Message | None = None,
    **fields: Any,
) -> Case:
    """Take one lifecycle action on a case; refused with a reason and no change if not allowed.
    `system_note` is a note kefu writes for the person (a hand-over's), kept as its catalog
    message so it reads in each reader's language."""
    action = action_code(action) or action  # a code or a label in either language
    case = get_case(session, code)
    if expected_version is not None and case.version != expected_version:
        key = "case.changed_since_owned" if case.owner else "case.changed_since"
        raise Conflict(Message(key, code=case.code, status=case.status, owner=case.owner))
    reason = refusal(action, case.status, actor.role, is_owner=case.owner == actor.name, owner=case.owner)
    if reason:
        raise Refused(Message("case.refused", code=case.code, reason=reason))
    transition = find_transition(action, case.status)
    assert transition is not None
    profile = case_profile(session, case)
    checked = validate_fields(profile, transition, fields, case.code)
    _apply(session, case, transition, actor, now, profile, checked, note=system_note or checked["note"])
    if transition.action in (Action.TRIAGE, Action.RECLASSIFY):
        escalate_for_severity(session, case, profile, now)
    session.flush()
    return case


@dataclass(frozen=True)
class Applied:
    """What a move did: the status it ended in, and the revisit it scheduled (if any)."""

    status: Status
    revisit: Revisit | None = None


def system_move(
    session: Session,
    case: Case,
    action: Action,
    now: datetime,
    *,
    profile: Profile,
    flush: bool = True,
    **fields: Any,
) -> Applied:
    """The system takes `action` on `case` (already loaded in this transaction). A batch of
    them (the SLA check) passes `flush=False` and flushes once, turning a stale row into its
    own Conflict."""
    transition = find_transition(action, case.status, system=True)
    if transition is None:
        raise AssertionError(f"no system transition {action} from {case.status}")
    missing = [name for name in transition.required if fields.get(name) is None]
    unknown = set(fields) - set(transition.required) - set(transition.optional)
    if missing or unknown:
        raise AssertionError(f"system {action}: missing {missing}, unknown {sorted(unknown)}")
    return _apply(session, case, transition, SYSTEM, now, profile, dict(fields), note=None, flush=flush)


def escalate_for_severity(session: Session, case: Case, profile: Profile, now: datetime) -> None:
    """A severity that escalates on intake (P1) escalates a case triaged to it, at once."""
    if profile.escalates(case.category, case.subcategory, case.severity, case.channel) and find_transition(
        Action.ESCALATE, case.status, system=True
    ):
        by_severity = profile.severities[case.severity].escalate_on_intake
        system_move(
            session,
            case,
            Action.ESCALATE,
            now,
            profile=profile,
            reason="severity" if by_severity else "class",
        )


def _apply(
    session: Session,
    case: Case,
    transition: Transition,
    actor: Actor,
    now: datetime,
    profile: Profile,
    fields: dict[str, Any],
    *,
    note: Text | None,
    flush: bool = True,
) -> Applied:
    before = case.status
    # Only a move that computes deadlines again reads the history they depend on.
    reads_history = (
        bool(transition.recomputes)
        or (before in RESOLUTION_GIVEN and Status.IN_PROGRESS in transition.targets)
        or (before in PAUSED and any(t not in PAUSED for t in transition.targets))  # a wait ends
    )
    move = Move(
        case=case,
        transition=transition,
        actor=actor,
        now=now,
        profile=profile,
        fields=fields,
        history=status_history(session, case.id) if reads_history else [],
        session=session,
        note=note,
    )
    case_code = case.code  # a failed flush expires the case; keep the code for the message
    try:
        # The handler's own queries must not flush a half-made change: the case is written
        # once, below, so one action is one version and a stale row surfaces as a Conflict.
        with session.no_autoflush:
            to = take(move)
            # The compensation ledger follows the status change (approved, paid, declined...).
            move.changes.update(
                payments.follow(
                    session,
                    case,
                    before,
                    to,
                    actor=actor.name,
                    now=now,
                    note=move.note if isinstance(move.note, str) else None,
                )
            )
        session.add(case)
        if flush:
            session.flush()
    except StaleDataError:
        raise Conflict(Message("case.concurrent", code=case_code)) from None
    assert case.id is not None
    row = event_row(
        actor=actor.name,
        action=transition.action,
        at=now,
        from_status=before,
        to_status=to,
        changes=move.changes,
        note=move.note,
    )
    add_event(session, case.id, row)
    history = [*move.history, (before, to.value, now)] if reads_history else None
    deadlines.sync(session, case, profile, now, history)
    for effect in move.effects:
        effect(session, case)
    revisit = None
    if to == Status.CLOSED and before != Status.CLOSED and case.close_reason in REVISITED_CLOSES:
        revisit = schedule_revisit(session, case, profile, now)
    return Applied(to, revisit)


# -- the handlers: one per row of the table, typed ------------------------------------------


def _triage(move: Move) -> Status:
    f = move.fields
    move.set(
        category=f["category"],
        subcategory=f["subcategory"],
        severity=move.profile.required_severity(
            f["category"], f["subcategory"], f["severity"], move.case.channel
        ),
        complexity=f["complexity"],
        party=f["party"],
        department=f["department"],
    )
    return Status.TRIAGED


def _claim(move: Move) -> Status:
    move.set(owner=move.actor.name)
    return Status.IN_PROGRESS


def _assign(move: Move) -> Status:
    name = str(move.fields["owner"])
    owner = move.db().exec(select(User).where(User.name == name)).first()
    if owner is None:
        raise NotFound(Message("user.not_found", name=name))
    if not owner.active:
        raise Refused(Message("assign.inactive", name=name))
    if owner.role not in CASE_OWNERS:
        raise Refused(Message("assign.cannot_own", name=owner.name, role=owner.role))
    if owner.name == move.case.owner:
        raise InvalidInput(
            Message("assign.already_owner", code=move.case.code, name=owner.name), field="owner"
        )
    move.set(owner=owner.name)
    if move.transition.to != Status.IN_PROGRESS:  # a supervisor's hand-over of a waiting case
        return Status(move.case.status)
    return Status.IN_PROGRESS


def _reclassify(move: Move) -> Status:
    """Correct what triage decided: each field given that differs is a before -> after in the
    event; a new category clears a sub-category that is not one of its own; the row's
    `recomputes` then gives the deadlines of the new severity and complexity (their instances
    replaced, the time already used kept)."""
    f, case = move.fields, move.case
    category = f.get("category") or case.category
    wanted: dict[str, Any] = {
        name: f[name] for name in ("category", "severity", "complexity", "party", "department") if f.get(name)
    }
    sub = f.get("subcategory")
    if sub not in (None, ""):
        wanted["subcategory"] = subcategory_code(move.profile, category, sub)
    elif category != case.category:
        wanted["subcategory"] = None
    sub_after = wanted.get("subcategory", case.subcategory)
    severity = move.profile.required_severity(
        category, sub_after, wanted.get("severity", case.severity), case.channel
    )
    if severity != wanted.get("severity", case.severity):
        wanted["severity"] = severity  # the class requires at least this, whatever was asked
    changed = {k: v for k, v in wanted.items() if getattr(case, k) != v}
    if not changed:
        raise InvalidInput(Message("reclassify.nothing", code=case.code), field="category")
    move.set(**changed)
    return Status(case.status)


def _escalate(move: Move) -> Status:
    move.set(escalated_at=move.now)
    return Status.ESCALATED


def _system_escalate(move: Move) -> Status:
    """On intake (the severity escalates: from receipt) or on a breach (from now)."""
    reason = move.fields["reason"]
    move.set(escalated_at=move.fields.get("escalated_at") or move.now)
    if reason == "breach":
        move.note = Message("note.escalated_on_breach", clock=move.fields["clock"])
    elif reason == "waiting":
        move.note = _waited_note(move, "note.escalated_waiting")
    elif reason == "class":
        found = move.profile.escalating_rule(move.case.category, move.case.subcategory, move.case.channel)
        code, rule = found if found is not None else (move.case.channel, None)
        named = {"code": code, "en": rule.en if rule else code, "zh": rule.zh if rule else code}
        move.note = Message("note.class_escalates", label=named)
    else:
        move.note = Message("note.severity_escalates")
    return Status.ESCALATED


def _waited_note(move: Move, key: str) -> Message:
    since = move.profile.work_calendar.local(move.fields["waited_since"]).isoformat(timespec="minutes")
    return Message(key, since=since, limit=move.profile.waiting.give_up_after)


def _wait(move: Move) -> Status:
    return Status.PENDING_CUSTOMER


def _resume(move: Move) -> Status:
    return Status.IN_PROGRESS


def _propose(move: Move) -> Status:
    """A resolution; with an amount, a row of the compensation ledger (`kefu.core.payments`):
    offered at once while the case's paid total with it stays within the approval threshold,
    otherwise pending a supervisor's approval."""
    f = move.fields
    move.set(
        resolution=f["resolution"],
        compensation_amount=f["amount"],
        compensation_kind=f["compensation_kind"],
        resolution_note=f["note"],
    )
    mark_first_response(move)
    amount = f["amount"]
    waits = bool(amount) and payments.needs_approval(
        threshold=move.profile.compensation.approval_threshold,
        paid_so_far=payments.paid_total(move.db(), move.case.id),
        amount=amount,
        role=move.actor.role,
    )
    if amount:
        actor, now, kind = move.actor.name, move.now, f["compensation_kind"]
        move.effects.append(
            lambda session, case: payments.add(
                session, case, amount=amount, kind=kind, actor=actor, now=now, approved=not waits
            )
        )
    if waits:
        return Status.PENDING_APPROVAL
    _mark_resolved(move)
    return Status.RESOLVED


def _approve(move: Move) -> Status:
    _mark_resolved(move)
    return Status.RESOLVED


def _deny(move: Move) -> Status:
    move.set(resolution=None, compensation_amount=None, compensation_kind=None)
    return Status.IN_PROGRESS


def _confirm(move: Move) -> Status:
    satisfied = bool(move.fields["satisfied"])
    move.set(satisfied=satisfied, satisfaction_score=move.fields["score"])
    if satisfied:
        move.set(closed_at=move.now, close_reason=CloseReason.CONFIRMED.value)
        return Status.CLOSED
    return Status.IN_PROGRESS


def _reject(move: Move) -> Status:
    reason = move.fields["reason"]
    if reason == CloseReason.DUPLICATE:
        original = get_case(move.db(), str(move.fields["duplicate_of"]))
        if original.id == move.case.id:
            raise InvalidInput(Message("reject.self_duplicate", code=move.case.code), field="duplicate_of")
        move.changes["duplicate_of"] = (None, original.code)
        original_id = original.id

        def link(session: Session, case: Case) -> None:
            assert case.id is not None and original_id is not None
            session.add(CaseLink(case_id=case.id, other_id=original_id, kind=LinkKind.DUPLICATE))

        move.effects.append(link)
    move.set(closed_at=move.now, close_reason=reason)
    return Status.CLOSED


def cancel_revisit(session: Session, revisit: Revisit, now: datetime) -> None:
    """A waiting revisit whose case is back at work is cancelled (on the reopen; the cron's
    `revisit schedule` catches those reopened before kefu did it at once)."""
    revisit.status = RevisitStatus.CANCELLED
    revisit.updated_at = now
    # revisit.note is a plain text column that otherwise holds what the agent typed at the
    # call, and is shown as it is: the system's reason is stored rendered in English (the
    # same words rows written before the catalog hold). The language-neutral fact is the
    # status `cancelled`; an interface in Chinese renders that, not this note.
    revisit.note = Message("revisit.cancelled_reopened").text("en")
    session.add(revisit)


def _merge(move: Move) -> Status:
    """Fold this duplicate into its original: closed as merged, a `merged` link to the original,
    and on the original a `link` event naming it (its history, contacts and attachments are
    shown there: `kefu.core.views`). Refused into itself, or into a case that was merged away
    (the message names where that one went)."""
    session, case = move.db(), move.case
    original = get_case(session, str(move.fields["into"]))
    if original.id == case.id:
        raise InvalidInput(Message("merge.self", code=case.code), field="into")
    if original.close_reason == CloseReason.MERGED:
        went = merged_into(session, original)
        if went == case.code:
            raise Refused(Message("merge.already_here", code=original.code, into=case.code))
        raise Refused(Message("merge.into_merged", code=original.code, into=went or "?"))
    if original.close_reason in REJECT_REASONS:
        raise Refused(Message("merge.into_rejected", code=original.code, reason=original.close_reason))
    if not _same_complaint(case, original):
        raise Refused(Message("merge.other_customer", code=case.code, original=original.code))
    move.changes["into"] = (None, original.code)
    move.set(closed_at=move.now, close_reason=CloseReason.MERGED.value)
    original_id, actor, now, note = original.id, move.actor.name, move.now, move.note

    def link(session: Session, case: Case) -> None:
        assert case.id is not None and original_id is not None
        session.add(CaseLink(case_id=case.id, other_id=original_id, kind=LinkKind.MERGED))
        add_event(
            session,
            original_id,
            event_row(
                actor=actor,
                action=EventKind.LINK,
                at=now,
                changes={"merged_from": (None, case.code)},
                note=note,
            ),
        )
        original.updated_at = now  # a new version: a stale view of the original is refused
        session.add(original)

    move.effects.append(link)
    return Status.CLOSED


def _same_complaint(case: Case, original: Case) -> bool:
    """Whether two cases can be one complaint: the same customer (any spelling of the number or
    e-mail: one customer record) or the same order, or one side names no customer to differ."""
    if case.order_no and case.order_no == original.order_no:
        return True
    if case.customer_id is None or original.customer_id is None:
        return True
    return case.customer_id == original.customer_id


def merged_into(session: Session, case: Case) -> str | None:
    """The code of the case `case` was merged into (None: it was not merged)."""
    return session.exec(
        select(Case.code)
        .join(CaseLink, col(CaseLink.other_id) == Case.id)
        .where(CaseLink.case_id == case.id, CaseLink.kind == LinkKind.MERGED)
    ).first()


def refuse_merged(move: Move) -> None:
    """A merged case is not worked again: its original is (a rejected one may be reopened: a
    rejection can be a mistake)."""
    case = move.case
    if case.close_reason == CloseReason.MERGED:
        into = merged_into(move.db(), case)
        raise Refused(
            Message("case.merged_away", code=case.code, action=move.transition.action, into=into or "?")
        )


def _reopen(move: Move) -> Status:
    """Back to work: the customer's answer is no longer the last word, and the revisit call
    planned after the close is cancelled (the next close plans one again)."""
    refuse_merged(move)
    move.set(satisfied=None, satisfaction_score=None)
    now = move.now

    def cancel_revisits(session: Session, case: Case) -> None:
        for revisit in session.exec(
            select(Revisit).where(Revisit.case_id == case.id, col(Revisit.status).in_(REVISIT_WAITING))
        ):
            cancel_revisit(session, revisit, now)

    move.effects.append(cancel_revisits)
    return Status.IN_PROGRESS


def _revisit(move: Move) -> Status:
    """Record a revisit call: satisfied closes it; unsatisfied reopens the case with the
    reason; unreachable retries after `revisit.retry_after` until `revisit.attempts` calls have
    been made, then ends the revisit as unreachable."""
    refuse_merged(move)
    case, profile, now, f = move.case, move.profile, move.now, move.fields
    revisit = (
        move.db()
        .exec(
            select(Revisit)
            .where(Revisit.case_id == case.id, col(Revisit.status).in_(REVISIT_WAITING))
            .order_by(col(Revisit.id).desc())
        )
        .first()
    )
    if revisit is None:
        raise Refused(Message("revisit.none_waiting", code=case.code))
    if revisit.due_at > now:
        local = profile.work_calendar.local(revisit.due_at)
        raise Refused(Message("revisit.not_due", code=case.code, due=f"{local:%Y-%m-%d %H:%M %z}"))
    revisit.updated_at = now
    revisit.note = f["note"]
    revisit.attempts += 1
    move.changes["revisit_attempts"] = (revisit.attempts - 1, revisit.attempts)
    outcome = f["outcome"]
    if outcome == RevisitOutcome.UNREACHABLE:
        if revisit.attempts >= profile.revisit.attempts:
            revisit.status = RevisitStatus.UNREACHABLE
            revisit.outcome = outcome
            move.set(revisit_outcome=outcome)
        else:
            revisit.status = RevisitStatus.SCHEDULED
            revisit.due_at = profile.work_calendar.add_opening(
                now, Duration.parse(profile.revisit.retry_after)
            )
            move.changes["revisit_retry_at"] = (None, revisit.due_at)
        return Status.CLOSED
    revisit.status = RevisitStatus.DONE
    revisit.outcome = outcome
    move.set(revisit_outcome=outcome)
    if f["score"] is not None:
        move.set(satisfaction_score=f["score"])
    if outcome == RevisitOutcome.SATISFIED:
        return Status.CLOSED
    move.set(satisfied=False)
    return Status.IN_PROGRESS


def _system_close(move: Move) -> Status:
    """Nobody answered within the confirmation window: closed, and revisited like a confirmed
    close. Or the customer never came back while kefu waited for them: closed, no revisit."""
    if "waited_since" in move.fields:
        move.set(closed_at=move.now, close_reason=CloseReason.NO_RESPONSE.value)
        move.note = _waited_note(move, "note.no_response")
        return Status.CLOSED
    window_ended: datetime = move.fields["window_ended"]
    move.set(closed_at=move.now, close_reason=CloseReason.NO_ANSWER.value)
    local = move.profile.work_calendar.local(window_ended).isoformat(timespec="seconds")
    move.note = Message("note.no_answer", window=move.profile.confirmation.window, ended=local)
    return Status.CLOSED


HANDLERS: dict[tuple[Action, bool], Handler] = {
    (Action.TRIAGE, False): _triage,
    (Action.CLAIM, False): _claim,
    (Action.ASSIGN, False): _assign,
    (Action.ESCALATE, False): _escalate,
    (Action.WAIT, False): _wait,
    (Action.RESUME, False): _resume,
    (Action.PROPOSE, False): _propose,
    (Action.APPROVE, False): _approve,
    (Action.DENY, False): _deny,
    (Action.CONFIRM, False): _confirm,
    (Action.REJECT, False): _reject,
    (Action.REOPEN, False): _reopen,
    (Action.REVISIT, False): _revisit,
    (Action.RECLASSIFY, False): _reclassify,
    (Action.MERGE, False): _merge,
    (Action.ESCALATE, True): _system_escalate,
    (Action.CLOSE, True): _system_close,
}
"""The handler of each (action, by the system?) row of the table; a test checks they match."""


def mark_first_response(move: Move) -> None:
    meet_first_response(move.case, move.now, move.changes)


def meet_first_response(case: Case, now: datetime, changes: Changes) -> None:
    """The first contact with the customer (or a proposal) meets the first-response clock."""
    if case.first_response_at is None:
        changes["first_response_at"] = (None, now)
        case.first_response_at = now


def _mark_resolved(move: Move) -> None:
    """Set resolved_at and the handling time in business minutes that reports average."""
    move.set(resolved_at=move.now)
    move.case.handling_business_minutes = move.profile.work_calendar.business_minutes_between(
        move.case.received_at, move.now
    )


def schedule_revisit(session: Session, case: Case, profile: Profile, now: datetime) -> Revisit:
    """Closing a case schedules its revisit at the policy's delay; a revisit still waiting
    from an earlier closing is cancelled, so a case has one revisit waiting at most."""
    assert case.id is not None
    for earlier in session.exec(
        select(Revisit).where(Revisit.case_id == case.id, col(Revisit.status).in_(REVISIT_WAITING))
    ).all():
        earlier.status = RevisitStatus.CANCELLED
        earlier.updated_at = now
    # A revisit call can be made from the start of business on its day (a `2wd` delay is the
    # second working day, callable from its opening, not only after its close).
    due = profile.work_calendar.add_opening(now, Duration.parse(profile.revisit.delay))
    revisit = Revisit(case_id=case.id, due_at=due, created_at=now, updated_at=now)
    session.add(revisit)
    return revisit


# -- reading a case's record -------------------------------------------------------------------


def case_events(session: Session, case: Case) -> Sequence[Event]:
    return session.exec(select(Event).where(Event.case_id == case.id).order_by(col(Event.id))).all()


def case_links(session: Session, case: Case) -> list[tuple[str, str]]:
    """(kind, other case code) for both directions of every link."""
    out: list[tuple[str, str]] = []
    rows = session.exec(
        select(CaseLink.kind, Case.code)
        .join(Case, col(Case.id) == CaseLink.other_id)
        .where(CaseLink.case_id == case.id)
    ).all()
    out += [(kind, code) for kind, code in rows]
    rows = session.exec(
        select(CaseLink.kind, Case.code)
        .join(Case, col(Case.id) == CaseLink.case_id)
        .where(CaseLink.other_id == case.id)
    ).all()
    out += [(f"{kind}_of_this", code) for kind, code in rows]
    return out
