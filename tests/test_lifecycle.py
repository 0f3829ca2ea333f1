"""The one door (kefu.core.lifecycle): people's and the system's moves through the same table,
typed handlers whose result is checked against the row, the rules every move shares, and the
intake plan that typed-in and imported complaints share.

Times are Shanghai; the mini policy's P1 targets are 15m first response, 24h resolution and 2h
coordination, and P1 escalates on intake (tests/data/mini.toml).
"""

from __future__ import annotations

import csv
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, Desk, make_desk

from kefu.core import importer, intake, lifecycle, services, slacheck
from kefu.core.errors import InvalidInput, KefuError
from kefu.core.lifecycle import HANDLERS, SYSTEM, Move, take
from kefu.core.models import Case
from kefu.core.policies import case_profile
from kefu.core.workflow import (
    ACTIONS,
    SYSTEM_TRANSITIONS,
    TRANSITIONS,
    Action,
    Status,
    action_label,
    event_label,
    find_transition,
)

SH = ZoneInfo("Asia/Shanghai")
P1 = {"severity": "P1", "category": "damage", "party": "station", "department": "ops"}


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def history(desk: Desk, code: str) -> list[tuple[str, str, str | None, str | None]]:
    with desk.read() as session:
        events = lifecycle.case_events(session, lifecycle.get_case(session, code))
        return [(e.actor, e.action, e.from_status, e.to_status) for e in events]


def load(desk: Desk, code: str) -> Case:
    with desk.read() as session:
        return lifecycle.get_case(session, code)


# -- the table names the system's moves too ---------------------------------------------------


def test_system_moves_are_rows_people_cannot_take() -> None:
    assert {(t.action, t.to) for t in SYSTEM_TRANSITIONS} == {
        (Action.ESCALATE, Status.ESCALATED),
        (Action.CLOSE, Status.CLOSED),
    }
    assert Action.CLOSE not in ACTIONS  # `kefu case move CODE close` is no action for people
    for transition in SYSTEM_TRANSITIONS:
        assert not transition.roles and all(not transition.allows_role(r) for r in transition.roles)
        assert (transition.action, True) in HANDLERS
    # What the system writes in the history has a label in both languages.
    assert (action_label("close", "en"), action_label("close", "zh")) == ("Closed automatically", "自动结案")
    assert event_label("breach", "zh") == "超时" and event_label("escalate", "zh") == "升级"


def test_a_handler_returning_a_status_its_row_does_not_name_is_a_bug(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="x"
        ).code
    monkeypatch.setitem(HANDLERS, (Action.TRIAGE, False), lambda move: Status.CLOSED)
    with desk.write() as session, pytest.raises(AssertionError, match="triage from new returned closed"):
        lifecycle.move_case(
            session=session,
            code=code,
            action="triage",
            actor=desk.user("carol"),
            now=NOW,
            category="delay",
            severity="P2",
            complexity="simple",
            party="courier",
            department="cs",
        )
    assert load(desk, code).status == Status.NEW


def test_every_move_is_one_version_and_one_event_through_take(desk: Desk) -> None:
    """`take` is pure: run on a case not in any session it changes only that object."""
    with desk.read() as session:
        profile = case_profile(session, Case(policy_version_id=1))  # type: ignore[call-arg]
    draft = Case(
        code="X",
        policy_version_id=1,
        status="triaged",
        channel="hotline",
        description="d",
        received_at=NOW,
        created_by="alice",
        severity="P2",
        updated_at=NOW,
    )
    transition = find_transition(Action.ESCALATE, Status.TRIAGED, system=True)
    assert transition is not None
    move = Move(draft, transition, SYSTEM, NOW, profile, {"reason": "breach", "clock": "resolution"}, [])
    assert take(move) == Status.ESCALATED
    assert set(move.changes) == {"status", "escalated_at", "due_coordination"}
    assert str(move.note) == "resolution deadline passed; escalated per the policy"


# -- escalation on intake: from receipt, through the door --------------------------------------


def test_a_p1_received_earlier_gets_its_coordination_clock_from_receipt(desk: Desk) -> None:
    """Typed in on 24 Nov with --received-at 1 Oct 10:00: the complaint was a P1 when it came
    in, so coordination (2h) ran out on 1 Oct at 12:00, not two hours after it was typed."""
    received = sh(10, 9, 10)  # Friday 9 Oct 2026, a working day
    with desk.write() as session:
        code = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=NOW,
            channel="hotline",
            description="扶梯夹伤",
            received_at=received,
            **P1,
        ).code
    case = load(desk, code)
    assert (case.status, case.escalated_at) == (Status.ESCALATED, received)
    assert case.due_coordination == sh(10, 9, 12)
    assert case.due_first_response == sh(10, 9, 10, 15)
    assert case.version == 1  # planned once, written once
    assert history(desk, code) == [
        ("alice", "create", None, "triaged"),
        ("kefu", "escalate", "triaged", "escalated"),
    ]
    # The SLA check then sees the coordination deadline long passed.
    report = slacheck.check_sla(engine=desk.engine, actor=desk.user("admin"), now=NOW)
    assert (code, "coordination") in {(r.code, r.clock) for r in report.breached}


def test_an_imported_p1_gets_the_same_clock(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "p1.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["id", "channel", "description", "received_at", "severity", "category", "party", "department"]
        )
        writer.writerow(["A1", "hotline", "扶梯夹伤", "2026-10-09 10:00", "P1", "damage", "station", "ops"])
    report = importer.import_file(
        engine=desk.engine, actor=desk.user("admin"), now=NOW, options=importer.ImportOptions(path=path)
    )
    assert report.imported == 1
    with sqlite3.connect(desk.path) as conn:
        code = conn.execute("SELECT code FROM cases").fetchone()[0]
    case = load(desk, code)
    assert (case.escalated_at, case.due_coordination) == (sh(10, 9, 10), sh(10, 9, 12))


def test_triage_to_a_p1_is_triaged_then_escalated_by_the_system(desk: Desk) -> None:
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="x"
        ).code
    later = NOW + timedelta(minutes=10)
    with desk.write() as session:
        case = lifecycle.move_case(
            session=session,
            code=code,
            action="triage",
            actor=desk.user("carol"),
            now=later,
            complexity="simple",
            **P1,
        )
        assert case.status == Status.ESCALATED
    case = load(desk, code)
    assert case.escalated_at == later and case.due_coordination == later + timedelta(hours=2)
    assert history(desk, code)[-2:] == [
        ("carol", "triage", "new", "triaged"),
        ("kefu", "escalate", "triaged", "escalated"),
    ]


# -- the rules every move shares ---------------------------------------------------------------


def test_pause_column_follows_the_status(desk: Desk) -> None:
    with desk.write() as session:
        code = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=NOW,
            channel="hotline",
            description="x",
            category="delay",
            party="courier",
            department="cs",
            severity="P2",
        ).code
    steps = [("claim", {}), ("wait", {"note": "等照片"}), ("resume", {})]
    seen = []
    for minute, (action, fields) in enumerate(steps, start=1):
        at = NOW + timedelta(minutes=minute)
        with desk.write() as session:
            case = lifecycle.move_case(
                session=session, code=code, action=action, actor=desk.user("alice"), now=at, **fields
            )
            seen.append(case.paused_at)
    assert seen == [None, NOW + timedelta(minutes=2), None]


@pytest.mark.parametrize("route", ["reopen", "confirm", "revisit"])
def test_every_way_back_to_work_resets_the_same_fields(route: str, tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        code = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=NOW,
            channel="hotline",
            description="x",
            category="delay",
            party="courier",
            department="cs",
            severity="P2",
        ).code
    at = NOW

    def step(action: str, **fields: object) -> Case:
        nonlocal at
        at += timedelta(minutes=5)
        with desk.write() as session:
            return lifecycle.move_case(
                session=session, code=code, action=action, actor=desk.user("alice"), now=at, **fields
            )

    step("claim")
    step("propose", resolution="apology")
    if route == "confirm":
        case = step("confirm", satisfied="no")
    else:
        step("confirm", satisfied="yes")
        if route == "reopen":
            case = step("reopen", note="客户又来电")
        else:
            at += timedelta(days=10)
            case = step("revisit", outcome="unsatisfied", note="仍未解决")
    assert case.status == Status.IN_PROGRESS
    assert (case.reopen_count, case.resolved_at, case.closed_at, case.close_reason) == (1, None, None, None)
    assert case.satisfied is (None if route == "reopen" else False)
    # The resolution clock restarted from the moment it went back to work.
    with desk.read() as session:
        assert lifecycle.recompute_deadlines(session, case, at)["resolution"] == case.due_resolution
    assert case.due_resolution is not None and case.due_resolution > at
    desk.engine.dispose()


def test_every_people_row_has_a_reachable_source() -> None:
    for transition in TRANSITIONS:
        assert transition.sources, transition.action
        assert transition.to in transition.targets


# -- what a Chinese refusal lists can be typed back ---------------------------------------------


def test_words_and_actions_are_taken_by_their_chinese_labels(desk: Desk) -> None:
    """A Chinese desk lists reasons, outcomes, contact kinds and actions by their labels; what
    it lists is accepted."""
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="x"
        ).code
    with desk.write() as session:
        note = services.add_note(
            session=session, code=code, actor=desk.user("alice"), now=NOW, text="已致电", contact="电话"
        )
        assert note.changes["contact"] == [None, "call"]
    with desk.write() as session:
        case = lifecycle.move_case(
            session=session, code=code, action="驳回无效投诉", actor=desk.user("carol"), now=NOW,
            reason="无效/骚扰",
        )  # fmt: skip
        assert (case.status, case.close_reason) == (Status.CLOSED, "spam")
    with desk.write() as session, pytest.raises(KefuError) as refused:
        lifecycle.move_case(session=session, code=code, action="分类", actor=desk.user("carol"), now=NOW)
    assert "cannot triage a case that is closed" in refused.value.message
    reason = refused.value.text("zh")
    assert reason == f"{code}：工单当前为「已结案」，不能执行「分类」（仅限已受理的工单）"


def test_a_bad_amount_is_quoted_as_given(desk: Desk) -> None:
    from kefu.core.lifecycle import amount_value

    with pytest.raises(InvalidInput) as bad:
        amount_value(-5.0, "amount")
    assert bad.value.message == "amount must be a non-negative amount, not -5.0"
    with pytest.raises(InvalidInput) as bad:
        amount_value("五十", "amount")
    assert bad.value.message == "amount must be a number, not '五十'"
    assert bad.value.text("zh") == "金额必须是数字，不能是「五十」"


@pytest.mark.parametrize(
    "value,message",
    [
        (1e10, "amount must be at most 1,000,000,000, not 10000000000.0"),
        (float("nan"), "amount must be a number, not nan"),
        ("12.345", "amount has at most two decimals (fen), not '12.345'"),
    ],
)
def test_an_amount_out_of_bounds_says_which_bound(value: object, message: str) -> None:
    from kefu.core.lifecycle import amount_value

    with pytest.raises(InvalidInput) as bad:
        amount_value(value, "amount")
    assert bad.value.message == message
    assert amount_value("12.35", "amount") == 12.35


def test_a_plan_sets_exactly_the_columns_the_stores_expect(desk: Desk) -> None:
    """The importer inserts plans through a row of columns named by intake.PLAN_COLUMNS."""
    from kefu.core.intake import INTAKE_ATTRIBUTES, PLAN_COLUMNS, plan_intake, validate_intake

    with desk.read() as session:
        profile = case_profile(session, Case(policy_version_id=1))  # type: ignore[call-arg]
    for severity in ("P1", "P3"):
        intake_ = validate_intake(
            profile, {"channel": "hotline", "description": "x", "severity": severity}, NOW
        )
        plan = plan_intake(profile, intake_, version_id=1, actor="alice", now=NOW)
        assert set(plan.values) == set(INTAKE_ATTRIBUTES) | set(PLAN_COLUMNS)
