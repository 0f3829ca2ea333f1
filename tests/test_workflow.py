"""The lifecycle table (kefu.core.workflow) and `lifecycle.move_case` on real cases.

First the table on its own: every action × every status × every role is allowed exactly when a
row of TRANSITIONS says so, and a refusal names its reason. Then the same through the service on
real cases in a WAL file: each row taken by each role from each of its source states, refusals by
state, role, ownership and missing field, and a refused action leaves the case row, its version
and its history exactly as they were (the caller's transaction is rolled back).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, Desk, make_desk
from sqlalchemy import func
from sqlmodel import select

from kefu.core import intake, lifecycle
from kefu.core.errors import InvalidInput, KefuError, NotFound, PermissionDenied, Refused
from kefu.core.lifecycle import HANDLERS
from kefu.core.models import Case, Event
from kefu.core.workflow import (
    ACTIONS,
    SUPERVISING,
    TRANSITIONS,
    Role,
    Status,
    Transition,
    allowed_actions,
    find_transition,
    refusal,
)


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


# -- the table on its own --------------------------------------------------------------------


def _table_allows(action: str, status: Status, role: Role) -> bool:
    return any(
        t.action == action and status in t.sources and role in t.roles and not t.system for t in TRANSITIONS
    )


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("status", list(Status), ids=str)
@pytest.mark.parametrize("action", ACTIONS)
def test_refusal_matches_the_table(action: str, status: Status, role: Role) -> None:
    # As the owner, only state and role decide.
    refused = refusal(action, status, role, is_owner=True, owner="someone")
    if _table_allows(action, status, role):
        assert refused is None
        assert action in allowed_actions(status, role, is_owner=True, owner="someone")
        return
    assert refused is not None
    reason = str(refused)
    assert action not in allowed_actions(status, role, is_owner=True, owner="someone")
    if find_transition(action, status) is None:
        assert f"cannot {action} a case that is {status}" in reason
        # The message lists the states it may be taken from (people's rows only).
        sources = {s for t in TRANSITIONS if t.action == action and not t.system for s in t.sources}
        assert all(s.value in reason for s in sources)
    else:
        assert f"{article(role)} {role} may not {action}" in reason
        assert "roles allowed" in reason


@pytest.mark.parametrize(
    "transition,status",
    [(t, s) for t in TRANSITIONS if t.owner_only and not t.system for s in sorted(t.sources)],
    ids=lambda v: v.action if isinstance(v, Transition) else str(v),
)
def test_owner_only_transitions_refuse_other_workers(transition: Transition, status: Status) -> None:
    for role in transition.roles:
        reason = refusal(transition.action, status, role, is_owner=False, owner="bob")
        if role in SUPERVISING:
            assert reason is None, f"{role} should act on anyone's case"
        else:
            assert reason is not None and "only the owner (bob)" in str(reason)
        # A case nobody owns yet may be taken by any allowed role.
        assert refusal(transition.action, status, role, is_owner=False, owner=None) is None


def test_unknown_action_is_named() -> None:
    reason = str(refusal("teleport", Status.NEW, Role.ADMIN, is_owner=False, owner=None))
    assert "unknown action 'teleport'" in reason
    assert "triage" in reason
    # The system's own moves are no action people can take.
    assert "unknown action 'close'" in str(
        refusal("close", Status.RESOLVED, Role.ADMIN, is_owner=True, owner=None)
    )


def test_table_is_consistent() -> None:
    # One row per (action, source) for people and for the system: the door could not choose.
    pairs = [(t.action, s, t.system) for t in TRANSITIONS for s in t.sources]
    assert len(pairs) == len(set(pairs))
    for t in TRANSITIONS:
        assert not set(t.required) & set(t.optional), t.action
        assert bool(t.roles) != t.system, t.action  # people's rows name roles, the system's none
        assert Role.ANALYST not in t.roles and Role.AUDITOR not in t.roles
    # Every row has its typed handler, and every handler its row.
    assert set(HANDLERS) == {(t.action, t.system) for t in TRANSITIONS}
    # Every status can be left (closed only by reopen / revisit), and every status is reached.
    assert {s for t in TRANSITIONS for s in t.sources} == set(Status)
    reached = {t.to for t in TRANSITIONS} | {a for t in TRANSITIONS for a in t.alternatives}
    assert reached | {Status.NEW} == set(Status)


# -- through the service ---------------------------------------------------------------------

USER_OF_ROLE = {
    Role.AGENT: "alice",
    Role.CLASSIFIER: "carol",
    Role.HANDLER: "hank",
    Role.SUPERVISOR: "sue",
    Role.ANALYST: "ana",
    Role.AUDITOR: "aud",
    Role.ADMIN: "admin",
}
CASE_OWNERS = {Role.AGENT, Role.HANDLER, Role.SUPERVISOR}
LATER = NOW + timedelta(days=10)
"""When revisits are taken: well after the 2wd delay of the mini profile."""

# The fields each action needs, chosen so the usual target (`to`) is reached.
GOOD_FIELDS: dict[str, dict[str, Any]] = {
    "triage": {
        "category": "delay",
        "severity": "P3",
        "complexity": "simple",
        "party": "courier",
        "department": "cs",
    },
    "claim": {},
    "assign": {"owner": "hank"},
    "escalate": {"note": "customer threatens to go to the regulator"},
    "wait": {"note": "asked for a photo of the parcel"},
    "resume": {},
    "propose": {"resolution": "apology"},
    "approve": {},
    "deny": {"note": "too generous"},
    "confirm": {"satisfied": "yes"},
    "reject": {"reason": "spam"},
    "reopen": {"note": "the customer called back"},
    "revisit": {"outcome": "satisfied"},
    "reclassify": {"department": "ops", "note": "it is the station's, not the desk's"},
    "merge": {"into": "@original"},  # a case of its own, made by the test that merges
}


@pytest.fixture(scope="module")
def shared_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """One desk for the module; every test works on cases of its own."""
    desk = make_desk(Path(tmp_path_factory.mktemp("workflow")) / "kefu.db")
    yield desk
    desk.engine.dispose()


_clock = itertools.count(1)


def _tick() -> Any:
    """A fresh instant a few seconds after NOW, so every change really changes `updated_at`."""
    return NOW + timedelta(seconds=next(_clock))


def move(desk: Desk, code: str, action: str, who: str, now: Any = None, **fields: Any) -> Case:
    with desk.write() as session:
        return lifecycle.move_case(
            session=session,
            code=code,
            action=action,
            actor=desk.user(who),
            now=now or _tick(),
            **fields,
        )


def case_in(desk: Desk, status: Status, owner: str = "alice") -> str:
    """A new case brought to `status` through the service; owned by `owner` once claimed."""
    with desk.write() as session:
        code = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=_tick(),
            channel="hotline",
            description="parcel late",
            customer_phone="13812345678",
        ).code
    if status == Status.NEW:
        return code
    move(desk, code, "triage", "carol", **GOOD_FIELDS["triage"])
    if status == Status.TRIAGED:
        return code
    if desk.user(owner).role in CASE_OWNERS:
        move(desk, code, "claim", owner)
    else:
        move(desk, code, "assign", "sue", owner="alice")
    if status == Status.IN_PROGRESS:
        return code
    if status == Status.ESCALATED:
        move(desk, code, "escalate", "sue", note="complex")
        return code
    if status == Status.PENDING_CUSTOMER:
        move(desk, code, "wait", "sue", note="waiting for photos")
        return code
    if status == Status.PENDING_APPROVAL:
        # Only a non-supervisor's proposal waits for approval.
        if desk.user(owner).role in SUPERVISING:
            move(desk, code, "assign", "sue", owner="alice")
        move(desk, code, "propose", _owner_of(desk, code), **_big_comp())
        return code
    move(desk, code, "propose", "sue", resolution="apology")
    if status == Status.RESOLVED:
        return code
    move(desk, code, "confirm", "sue", satisfied="yes")
    assert status == Status.CLOSED
    return code


def _big_comp() -> dict[str, Any]:
    return {"resolution": "compensation", "amount": 500, "compensation_kind": "cash"}


def _owner_of(desk: Desk, code: str) -> str:
    with desk.read() as session:
        owner = lifecycle.get_case(session, code).owner
    assert owner is not None
    return owner


def snapshot(desk: Desk, code: str) -> tuple[dict[str, Any], int]:
    """The case row and its number of events, read in a fresh session."""
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        row = case.model_dump()
        events = session.exec(select(func.count()).select_from(Event).where(Event.case_id == case.id)).one()
    return row, events


def _expected_allowed(t: Transition, role: Role, owner: str | None) -> bool:
    if role not in t.roles:
        return False
    if not t.owner_only or role in SUPERVISING or owner is None:
        return True
    return owner == USER_OF_ROLE[role]


SOURCE_CASES = [(t, s) for t in TRANSITIONS if not t.system for s in sorted(t.sources)]


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize(
    "transition,source",
    SOURCE_CASES,
    ids=[f"{t.action}-from-{s}" for t, s in SOURCE_CASES],
)
def test_move_case_by_role(shared_desk: Desk, transition: Transition, source: Status, role: Role) -> None:
    desk = shared_desk
    # Owned by the acting user when that role can own cases, else by alice.
    who = USER_OF_ROLE[role]
    code = case_in(desk, source, owner=who if role in CASE_OWNERS else "alice")
    before, events_before = snapshot(desk, code)
    owner = before["owner"]
    action = transition.action
    now = LATER if action == "revisit" else _tick()
    fields = dict(GOOD_FIELDS[action])
    if action == "merge":
        fields["into"] = case_in(desk, Status.NEW, owner="alice")
    if action == "assign" and owner == fields["owner"]:
        fields["owner"] = "bob"  # to someone else: assigning to the owner is no change
    if _expected_allowed(transition, role, owner):
        case = move(desk, code, action, who, now=now, **fields)
        # A row that may end where it starts (a correction, a hand-over) keeps the status.
        expected = source if source in transition.targets else transition.to
        assert case.status == expected
        after, events_after = snapshot(desk, code)
        assert after["status"] == expected
        assert after["version"] == before["version"] + 1
        assert events_after >= events_before + 1
        with desk.read() as session:
            last = [
                e
                for e in lifecycle.case_events(session, lifecycle.get_case(session, code))
                if e.action == action
            ][-1]
            seen = (last.actor, last.from_status, last.to_status, last.at)
        assert seen == (who, source, expected, now)
        return
    with pytest.raises(Refused) as refused:
        move(desk, code, action, who, now=now, **fields)
    message = str(refused.value)
    assert message.startswith(code + ":")
    if role not in transition.roles:
        assert f"{article(role)} {role} may not {action}" in message
    else:
        assert f"only the owner ({owner})" in message
    assert snapshot(desk, code) == (before, events_before)


STATE_REFUSALS = [
    (action, status) for action in ACTIONS for status in Status if find_transition(action, status) is None
]


@pytest.mark.parametrize("action,status", STATE_REFUSALS, ids=[f"{a}-from-{s}" for a, s in STATE_REFUSALS])
def test_move_case_refused_by_state(shared_desk: Desk, action: str, status: Status) -> None:
    desk = shared_desk
    code = case_in(desk, status, owner="alice")
    before = snapshot(desk, code)
    # An admin may do anything the table allows: only the state can refuse here.
    with pytest.raises(Refused) as refused:
        move(desk, code, action, "admin", now=LATER, **GOOD_FIELDS[action])
    assert f"cannot {action} a case that is {status}" in str(refused.value)
    assert snapshot(desk, code) == before


def test_losing_claim_names_the_owner(shared_desk: Desk) -> None:
    code = case_in(shared_desk, Status.IN_PROGRESS, owner="alice")
    with pytest.raises(Refused, match=r"owned by alice"):
        move(shared_desk, code, "claim", "bob")


# Each required field left out, plus the semantic requirements the table cannot express.
MISSING_FIELD_CASES = [
    (t.action, s, name)
    for t in TRANSITIONS
    if not t.system
    for s in sorted(t.sources)[:1]
    for name in t.required
] + [
    ("propose", Status.IN_PROGRESS, "amount"),  # compensation needs an amount
    ("reject", Status.NEW, "duplicate_of"),  # a duplicate names its original
    ("revisit", Status.CLOSED, "note"),  # an unsatisfied revisit says why
]


def _fields_missing(action: str, name: str) -> dict[str, Any]:
    if (action, name) == ("propose", "amount"):
        return {"resolution": "compensation", "compensation_kind": "cash"}
    if (action, name) == ("reject", "duplicate_of"):
        return {"reason": "duplicate"}
    if (action, name) == ("revisit", "note"):
        return {"outcome": "unsatisfied"}
    fields = dict(GOOD_FIELDS[action])
    assert name in fields, (action, name)
    del fields[name]
    return fields


@pytest.mark.parametrize(
    "action,status,field",
    MISSING_FIELD_CASES,
    ids=[f"{a}-without-{f}" for a, _, f in MISSING_FIELD_CASES],
)
@pytest.mark.parametrize("blank", [False, True], ids=["absent", "blank"])
def test_move_case_refused_by_missing_field(
    shared_desk: Desk, action: str, status: Status, field: str, blank: bool
) -> None:
    desk = shared_desk
    code = case_in(desk, status, owner="alice")
    before = snapshot(desk, code)
    fields = _fields_missing(action, field)
    if blank:
        fields[field] = ""
    with desk.write() as session:
        with pytest.raises(InvalidInput) as refused:
            lifecycle.move_case(
                session=session,
                code=code,
                action=action,
                actor=desk.user("sue"),
                now=LATER,
                **fields,
            )
        session.rollback()
    message = str(refused.value)
    assert field in message and code in message
    assert snapshot(desk, code) == before


def test_refused_move_leaves_the_callers_transaction_clean(shared_desk: Desk) -> None:
    """A handler that fails halfway (after assigning fields) must not leave them to commit."""
    desk = shared_desk
    code = case_in(desk, Status.NEW)
    before = snapshot(desk, code)
    # triage sets category and severity before the department is found unknown.
    with pytest.raises(InvalidInput, match="department"):
        with desk.write() as session:
            lifecycle.move_case(
                session=session,
                code=code,
                action="triage",
                actor=desk.user("carol"),
                now=_tick(),
                **{**GOOD_FIELDS["triage"], "department": "no-such-team"},
            )
    assert snapshot(desk, code) == before


@pytest.mark.parametrize(
    "action,fields,message",
    [
        ("claim", {"note": "x", "amount": 5}, "claim takes no amount"),
        ("triage", {**GOOD_FIELDS["triage"], "category": "weather"}, "category: unknown"),
        ("triage", {**GOOD_FIELDS["triage"], "complexity": "medium"}, "complexity"),
        ("triage", {**GOOD_FIELDS["triage"], "subcategory": "lost"}, "subcategory"),
        (
            "propose",
            {"resolution": "apology", "amount": 50},
            r"an apology resolution takes no amount; choose a resolution that pays one$",
        ),
    ],
)
def test_move_case_refuses_bad_values(
    shared_desk: Desk, action: str, fields: dict[str, Any], message: str
) -> None:
    desk = shared_desk
    start = {"triage": Status.NEW, "propose": Status.IN_PROGRESS}.get(action, Status.TRIAGED)
    code = case_in(desk, start)
    before = snapshot(desk, code)
    with pytest.raises(InvalidInput, match=message):
        move(desk, code, action, "sue", **fields)
    assert snapshot(desk, code) == before


def test_alternatives_are_reached(shared_desk: Desk) -> None:
    desk = shared_desk
    # propose above the threshold by an agent waits for approval; by a supervisor it does not.
    code = case_in(desk, Status.IN_PROGRESS, owner="alice")
    assert move(desk, code, "propose", "alice", **_big_comp()).status == Status.PENDING_APPROVAL
    code = case_in(desk, Status.IN_PROGRESS, owner="sue")
    assert move(desk, code, "propose", "sue", **_big_comp()).status == Status.RESOLVED
    # At the threshold exactly, no approval is needed.
    code = case_in(desk, Status.IN_PROGRESS, owner="alice")
    case = move(desk, code, "propose", "alice", resolution="compensation", amount=200)
    assert case.status == Status.RESOLVED
    # confirm unsatisfied goes back to work.
    code = case_in(desk, Status.RESOLVED, owner="alice")
    case = move(desk, code, "confirm", "alice", satisfied="no")
    assert (case.status, case.reopen_count) == (Status.IN_PROGRESS, 1)
    # an unsatisfied revisit reopens.
    code = case_in(desk, Status.CLOSED, owner="alice")
    case = move(desk, code, "revisit", "alice", now=LATER, outcome="unsatisfied", note="still broken")
    assert (case.status, case.reopen_count, case.satisfied) == (Status.IN_PROGRESS, 1, False)
    # P1 at triage escalates instead of stopping at triaged.
    code = case_in(desk, Status.NEW)
    case = move(desk, code, "triage", "carol", **{**GOOD_FIELDS["triage"], "severity": "P1"})
    assert case.status == Status.ESCALATED and case.due_coordination is not None


def test_assign_checks_the_new_owner(shared_desk: Desk) -> None:
    desk = shared_desk
    code = case_in(desk, Status.TRIAGED)
    before = snapshot(desk, code)
    with pytest.raises(NotFound, match="nobody"):
        move(desk, code, "assign", "sue", owner="nobody")
    with pytest.raises(Refused, match="ana is an analyst and cannot own cases"):
        move(desk, code, "assign", "sue", owner="ana")
    assert snapshot(desk, code) == before


def test_unknown_case_and_action(shared_desk: Desk) -> None:
    with pytest.raises(NotFound, match="no case 'T-19990101-0001'"):
        move(shared_desk, "T-19990101-0001", "claim", "alice")
    code = case_in(shared_desk, Status.TRIAGED)
    with pytest.raises(Refused, match="unknown action 'fly'"):
        move(shared_desk, code, "fly", "alice")


def test_every_refusal_is_a_kefu_error_with_one_sentence(shared_desk: Desk) -> None:
    """What the CLI and TUI show: a KefuError whose message is one line."""
    code = case_in(shared_desk, Status.NEW)
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("claim", "alice", {}),
        ("triage", "ana", GOOD_FIELDS["triage"]),
        ("triage", "carol", {}),
        ("reject", "carol", {"reason": "boredom"}),
    ]
    for action, who, fields in attempts:
        with pytest.raises(KefuError) as refused:
            move(shared_desk, code, action, who, **fields)
        assert "\n" not in str(refused.value)
        assert refused.value.exit_code == 2
    assert issubclass(PermissionDenied, Refused)


CAUGHT_REFUSALS = [
    ("triage", Status.NEW, {**GOOD_FIELDS["triage"], "department": "no-such-team"}),
    ("triage", Status.NEW, {**GOOD_FIELDS["triage"], "subcategory": "lost"}),
    ("propose", Status.IN_PROGRESS, {**_big_comp(), "compensation_kind": "bitcoin"}),
    ("propose", Status.IN_PROGRESS, {"resolution": "compensation", "amount": -5}),
    ("confirm", Status.RESOLVED, {"satisfied": "yes", "score": 9}),
    ("confirm", Status.RESOLVED, {"satisfied": "perhaps"}),
    ("reject", Status.NEW, {"reason": "duplicate", "duplicate_of": "T-19990101-0001"}),
    ("reject", Status.NEW, {"reason": "spam", "duplicate_of": "T-19990101-0001"}),
    ("assign", Status.TRIAGED, {"owner": "ana"}),
    ("revisit", Status.CLOSED, {"outcome": "delighted"}),
]


@pytest.mark.parametrize(
    "action,status,fields",
    CAUGHT_REFUSALS,
    ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(CAUGHT_REFUSALS)],
)
def test_refusal_caught_inside_the_transaction_commits_nothing(
    shared_desk: Desk, action: str, status: Status, fields: dict[str, Any]
) -> None:
    """A screen that catches the refusal and lets its transaction commit must still find the
    case untouched: handlers check everything before they assign anything."""
    desk = shared_desk
    code = case_in(desk, status, owner="alice")
    before = snapshot(desk, code)
    with desk.write() as session:
        with pytest.raises(KefuError):
            lifecycle.move_case(
                session=session,
                code=code,
                action=action,
                actor=desk.user("sue"),
                now=LATER,
                **fields,
            )
        # no rollback: the write session commits whatever the refused call left behind
    assert snapshot(desk, code) == before
