"""What must hold after any sequence of moves, people's and the system's (hypothesis walks the
transition table), and the pairs of code that must agree with each other.

After every move through the door: each clock's current deadline record is the case's stored
due time; an unmet one is exactly what the history gives (`lifecycle.recompute_deadlines`); a
met or ended record never changes again, and a deadline once missed stays missed in the KPIs
whatever follows (a reopen, a new severity, an unsatisfied revisit); the pause column is set
exactly while waiting for the customer, the reopen count is the number of times the history
went back to work after a resolution, the case row is the last event's status, and a refused
move changes nothing. docs/ARCHITECTURE.md
lists these invariants and names this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, Desk, make_desk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import col, select

from kefu.core import deadlines, intake, lifecycle, payments, queues, services, sla, slacheck
from kefu.core.errors import KefuError
from kefu.core.models import Case, Event
from kefu.core.policies import case_profile
from kefu.core.workflow import (
    PAUSED,
    RESOLUTION_GIVEN,
    Action,
    Status,
    allowed_actions,
    find_transition,
)

PEOPLE = ("alice", "bob", "carol", "hank", "sue", "admin")


@pytest.fixture(scope="module")
def walk_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    desk = make_desk(tmp_path_factory.mktemp("walk") / "kefu.db")
    yield desk
    desk.engine.dispose()


def _fields(data: st.DataObject, action: str, desk: Desk, code: str) -> dict[str, Any]:
    """Input a person would give for `action` (sometimes a wrong one, which must be refused)."""
    pick = data.draw
    if action == Action.TRIAGE:
        return {
            "category": pick(st.sampled_from(["delay", "damage", "损毁"])),
            "severity": pick(st.sampled_from(["P1", "P2", "P3"])),
            "complexity": pick(st.sampled_from(["simple", "complex"])),
            "party": pick(st.sampled_from(["courier", "station"])),
            "department": pick(st.sampled_from(["cs", "ops"])),
        }
    if action == Action.ASSIGN:
        return {"owner": pick(st.sampled_from(["alice", "bob", "hank", "sue", "ana"]))}
    if action in (Action.ESCALATE, Action.WAIT, Action.DENY, Action.REOPEN):
        return {"note": "因为"}
    if action == Action.PROPOSE:
        resolution = pick(st.sampled_from(["apology", "compensation"]))
        fields: dict[str, Any] = {"resolution": resolution}
        if resolution == "compensation" or pick(st.booleans()):
            fields["amount"] = pick(st.sampled_from([50, 200, 500]))
            fields["compensation_kind"] = "cash"
        return fields
    if action == Action.CONFIRM:
        return {
            "satisfied": pick(st.sampled_from(["yes", "no"])),
            "score": pick(st.sampled_from([None, 2, 5])),
        }
    if action == Action.REJECT:
        return {"reason": "spam"}
    if action == Action.MERGE:
        return {"into": code}  # into itself: refused, and nothing changes
    if action == Action.RECLASSIFY:
        return {
            "note": "更正",
            "severity": pick(st.sampled_from(["P1", "P2", "P3"])),
            "complexity": pick(st.sampled_from(["simple", "complex"])),
        }
    if action == Action.REVISIT:
        outcome = pick(st.sampled_from(["satisfied", "unsatisfied", "unreachable"]))
        return {"outcome": outcome, **({"note": "仍未解决"} if outcome == "unsatisfied" else {})}
    return {}


def _state(desk: Desk, code: str) -> tuple[dict[str, Any], int]:
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        events = session.exec(select(func.count()).select_from(Event).where(Event.case_id == case.id)).one()
        return case.model_dump(), events


Record = tuple[Any, ...]


def _check_invariants(desk: Desk, code: str, at: Any, settled: dict[int, Record], missed: set[int]) -> None:
    """`settled`: every met or ended deadline record seen so far; `missed`: every record seen
    to have fallen due unmet (both carried from step to step of one walk)."""
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        events = lifecycle.case_events(session, case)
        walk = (code, [e.action for e in events])
        # The ledger: at most one row waits for an answer, and exactly while the case does
        # (pending approval, or resolved with an amount offered); the paid total is the paid rows'.
        rows = payments.ledger(session, case.id)
        waiting = [r.status for r in rows if r.status in ("pending", "offered")]
        expected = {"pending_approval": ["pending"]}.get(case.status, [])
        if case.status == "resolved" and case.compensation_amount:
            expected = ["offered"]
        assert waiting == expected, (walk, [(r.no, r.amount, r.status) for r in rows])
        paid = round(sum(r.amount for r in rows if r.status == "paid"), 2)
        assert payments.paid_total(session, case.id) == paid, walk
        recomputed = {str(k): v for k, v in lifecycle.recompute_deadlines(session, case, at).items()}
        stored = {
            "first_response": case.due_first_response,
            "resolution": case.due_resolution,
            "coordination": case.due_coordination,
        }
        rows = deadlines.case_rows(session, case.id)
        current = {r.clock: r for r in rows if r.ended_at is None}
        assert len(current) == len({r.clock for r in rows if r.ended_at is None}), walk
        history = [(e.from_status, e.to_status, e.at) for e in events]
        met = {
            "first_response": case.first_response_at is not None,
            "coordination": sla.coordinated_at_from_events(history, case.escalated_at) is not None,
            "resolution": False,
        }
        for clock, due in stored.items():
            row = current.get(clock)
            if row is not None:
                assert row.due_at == due, walk
            if (row is None or row.met_at is None) and not met[clock]:  # a met clock is history
                assert due == recomputed[clock], walk
        for clock in {r.clock for r in rows}:
            assert [r.instance for r in rows if r.clock == clock] == list(
                range(1, 1 + sum(r.clock == clock for r in rows))
            ), walk
        for row in rows:
            assert row.id is not None
            record = (row.clock, row.instance, row.started_at, row.target, row.due_at, row.met_at)
            if row.id in settled:
                assert settled[row.id][:6] == record, ("a settled deadline was rewritten", walk)
            if row.met_at is not None or row.ended_at is not None:
                settled.setdefault(row.id, (*record, row.ended_at))
        late = {r.id for r in rows if deadlines.counts(r, at) and not deadlines.on_time(r)}
        assert missed <= late, ("a missed deadline stopped counting as missed", walk)
        missed |= late
        moves = [e for e in events if e.to_status is not None]
        assert case.status == moves[-1].to_status
        assert (case.paused_at is not None) == (case.status in PAUSED)
        back_to_work = [
            e for e in moves if e.from_status in RESOLUTION_GIVEN and e.to_status == Status.IN_PROGRESS
        ]
        assert case.reopen_count == len(back_to_work)
        if case.status == Status.CLOSED:
            assert case.closed_at is not None and case.close_reason is not None
        if case.status in (Status.RESOLVED, Status.CLOSED) and case.close_reason not in ("spam", "duplicate"):
            assert case.resolved_at is not None


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_walk_through_the_table_keeps_the_record_true(walk_desk: Desk, data: st.DataObject) -> None:
    desk = walk_desk
    severity = data.draw(st.sampled_from(["P1", "P2", "P3"]))
    classified = data.draw(st.booleans())
    extra = {"category": "delay", "party": "courier", "department": "cs"} if classified else {}
    with desk.write() as session:
        code = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=NOW,
            channel="hotline",
            description="走一遍",
            received_at=NOW - timedelta(minutes=data.draw(st.integers(0, 3000))),
            severity=severity,
            **extra,
        ).code
    at = NOW
    settled: dict[int, Record] = {}
    missed: set[int] = set()
    _check_invariants(desk, code, at, settled, missed)
    for _ in range(data.draw(st.integers(1, 14))):
        at += timedelta(minutes=data.draw(st.sampled_from([1, 17, 90, 600, 3 * 1440])))
        with desk.read() as session:
            case = lifecycle.get_case(session, code)
            status, owner = case.status, case.owner
        step = data.draw(st.sampled_from(["move", "move", "move", "contact", "sla"]))
        before = _state(desk, code)
        try:
            if step == "contact":
                with desk.write() as session:
                    services.add_note(
                        session=session,
                        code=code,
                        actor=desk.user("sue"),
                        now=at,
                        text="回电",
                        contact="call",
                    )
            elif step == "sla":
                slacheck.check_sla(engine=desk.engine, actor=desk.user("admin"), now=at)
            else:
                who = data.draw(st.sampled_from(PEOPLE))
                role = desk.user(who).role
                choices = allowed_actions(status, role, is_owner=owner == who, owner=owner)
                if not choices:
                    continue
                action = data.draw(st.sampled_from(choices))
                fields = _fields(data, action, desk, code)
                with desk.write() as session:
                    lifecycle.move_case(
                        session=session, code=code, action=action, actor=desk.user(who), now=at, **fields
                    )
        except KefuError:
            assert _state(desk, code) == before, "a refused move changed the case or its history"
            continue
        _check_invariants(desk, code, at, settled, missed)


# -- pairs that must agree -------------------------------------------------------------------


def test_sla_check_and_the_at_risk_queue_agree(tmp_path: Path) -> None:
    """The cron job and the TUI's at-risk tab judge the same cases at risk or breached."""
    desk = make_desk(tmp_path / "kefu.db")
    codes = []
    for minutes in range(0, 600, 37):
        with desk.write() as session:
            codes.append(
                intake.create_case(
                    session=session,
                    actor=desk.user("alice"),
                    now=NOW,
                    channel="hotline",
                    description="x",
                    received_at=NOW - timedelta(minutes=minutes),
                    severity=["P1", "P2", "P3"][minutes % 3],
                    category="delay",
                    party="courier",
                    department="cs",
                ).code
            )
    for hours in (0, 2, 5, 30, 80):
        at = NOW + timedelta(hours=hours)
        report = slacheck.check_sla(engine=desk.engine, actor=desk.user("sue"), now=at)
        flagged = {r.code for r in report.breached} | {r.code for r in report.at_risk}
        with desk.read() as session:
            page = queues.queue_page(session, queue="at_risk", actor=desk.user("sue"), now=at, limit=1000)
            count = queues.queue_counts(session, actor=desk.user("sue"), now=at, queues=["at_risk"])[
                "at_risk"
            ]
        assert {row.code for row in page.rows} == flagged, at
        assert count == len(flagged)
    desk.engine.dispose()


def test_the_queue_sort_key_in_sql_and_in_python_agree(tmp_path: Path) -> None:
    """Keyset pages compare a cursor built in Python (`queues.urgency`) with the SQL
    expression: they must be the same value for every case, or pages skip or repeat rows."""
    desk = make_desk(tmp_path / "kefu.db")
    for minutes, severity in [(0, "P1"), (30, "P2"), (300, "P3"), (1000, "P2"), (5, "P3")]:
        with desk.write() as session:
            code = intake.create_case(
                session=session,
                actor=desk.user("alice"),
                now=NOW,
                channel="hotline",
                description="x",
                received_at=NOW - timedelta(minutes=minutes),
                severity=severity,
                category="delay",
                party="courier",
                department="cs",
            ).code
        if severity == "P3":
            with desk.write() as session:
                services.add_note(
                    session=session, code=code, actor=desk.user("alice"), now=NOW, text="x", contact="call"
                )
    with desk.read() as session:
        expression = queues._urgency_expression()
        rows = session.exec(select(Case, expression).order_by(col(Case.id))).all()
        assert rows
        for case, in_sql in rows:
            assert queues.urgency(case) == in_sql, case.code
    desk.engine.dispose()


def test_every_system_move_is_a_row_its_handler_obeys(walk_desk: Desk) -> None:
    """`system_move` refuses input its row does not name (a bug, not a user's mistake)."""
    with walk_desk.write() as session:
        case = intake.create_case(
            session=session, actor=walk_desk.user("alice"), now=NOW, channel="hotline", description="x"
        )
        profile = case_profile(session, case)
        assert find_transition(Action.ESCALATE, case.status, system=True) is not None
        with pytest.raises(AssertionError, match="missing"):
            lifecycle.system_move(session, case, Action.ESCALATE, NOW, profile=profile)
        with pytest.raises(AssertionError, match="no system transition"):
            lifecycle.system_move(session, case, Action.CLOSE, NOW, profile=profile, window_ended=NOW)
        session.rollback()
