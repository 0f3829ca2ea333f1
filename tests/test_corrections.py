"""Corrections after triage (issue 11): `reclassify` changes what triage decided, with a
reason and before -> after in the history, through the one door; a severity change gives the
deadlines of the new severity (the old instance replaced, never rewritten); a supervisor hands
over a case that waits for the customer, for approval or for confirmation."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import NOW, Desk, make_desk
from sqlalchemy import text

from kefu.core import deadlines, intake, lifecycle
from kefu.core.errors import InvalidInput, Refused
from kefu.core.messages import Message


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_desk(tmp_path / "kefu.db")


def move(desk: Desk, code: str, action: str, who: str, minutes: int = 0, **fields: object) -> None:
    with desk.write() as session:
        lifecycle.move_case(
            session=session, code=code, action=action, actor=desk.user(who),
            now=NOW + timedelta(minutes=minutes), **fields,
        )  # fmt: skip


def triaged(desk: Desk, **extra: object) -> str:
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="包裹延误",
            category="delay", subcategory="transit", severity="P3", party="courier", department="cs",
        ).code  # fmt: skip
    move(desk, code, "claim", "alice", 5)
    return code


def test_a_reclassification_is_recorded_and_recomputes_the_deadlines(desk: Desk) -> None:
    code = triaged(desk)
    move(desk, code, "reclassify", "carol", 60, severity="P2", department="ops", note="客户是VIP，站点责任")
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        last = lifecycle.case_events(session, case)[-1]
        rows = [r for r in deadlines.case_rows(session, case.id) if r.clock == "resolution"]
        recomputed = lifecycle.recompute_deadlines(session, case, NOW + timedelta(minutes=60))
    assert (case.status, case.severity, case.department, case.owner) == ("in_progress", "P2", "ops", "alice")
    assert last.action == "reclassify" and last.actor == "carol" and last.note == "客户是VIP，站点责任"
    assert {k: last.changes[k] for k in ("department", "severity")} == {
        "department": ["cs", "ops"],
        "severity": ["P3", "P2"],
    }
    assert {"due_resolution", "due_first_response"} <= set(last.changes)  # P2's targets now
    # P3's 3wd instance replaced by P2's 8bh from the same receipt: kept, not rewritten.
    assert [(r.target, r.end_reason) for r in rows] == [("3wd", "replaced"), ("8bh", None)]
    assert rows[1].started_at == rows[0].started_at and case.due_resolution == recomputed["resolution"]


def test_a_new_category_clears_a_subcategory_of_the_old_one(desk: Desk) -> None:
    code = triaged(desk)
    move(desk, code, "reclassify", "sue", 10, category="damage", note="其实是破损")
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
    assert (case.category, case.subcategory) == ("damage", None)


def test_a_correction_to_p1_escalates_at_once(desk: Desk) -> None:
    code = triaged(desk)
    move(desk, code, "reclassify", "carol", 10, severity="P1", note="涉及人身安全")
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        actions = [e.action for e in lifecycle.case_events(session, case)]
    assert case.status == "escalated" and actions[-2:] == ["reclassify", "escalate"]


@pytest.mark.parametrize(
    ("who", "fields", "error"),
    [
        ("carol", {"severity": "P3", "note": "同上"}, InvalidInput),  # nothing differs
        ("carol", {"note": "只写了原因"}, InvalidInput),  # nothing given
        ("carol", {"severity": "P2"}, InvalidInput),  # no reason
        ("alice", {"severity": "P2", "note": "想改"}, Refused),  # an agent may not
    ],
)
def test_a_correction_needs_a_change_a_reason_and_the_role(
    desk: Desk, who: str, fields: dict[str, str], error: type[Exception]
) -> None:
    code = triaged(desk)
    with desk.read() as session:
        before = lifecycle.get_case(session, code).model_dump()
    with pytest.raises(error):
        move(desk, code, "reclassify", who, 10, **fields)
    with desk.read() as session:
        assert lifecycle.get_case(session, code).model_dump() == before


@pytest.mark.parametrize("waiting", ["wait", "propose"])
def test_a_supervisor_hands_over_a_waiting_case(desk: Desk, waiting: str) -> None:
    code = triaged(desk)
    fields = (
        {"note": "等照片"}
        if waiting == "wait"
        else {"resolution": "compensation", "amount": 500, "compensation_kind": "cash"}
    )
    move(desk, code, waiting, "alice", 10, **fields)
    with desk.read() as session:
        status = lifecycle.get_case(session, code).status
    move(desk, code, "assign", "sue", 20, owner="bob", note="alice 休假")
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
    assert (case.owner, case.status) == ("bob", status)
    with pytest.raises(Refused):
        move(desk, code, "assign", "carol", 30, owner="alice")  # a classifier may not, here


def test_deactivating_an_agent_says_what_they_hold_and_hands_it_over(desk: Desk) -> None:
    from conftest import cli_run as run
    from freezegun import freeze_time

    from kefu.core import services
    from kefu.core.identity import os_login

    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
    working = triaged(desk)
    waiting = triaged(desk)
    move(desk, waiting, "wait", "alice", 10, note="等客户")
    with freeze_time(NOW + timedelta(hours=1)):
        told = run(desk, "user", "set", "alice", "--inactive")
    assert told.exit_code == 0 and "alice still owns open cases (2)" in told.stderr
    with freeze_time(NOW + timedelta(hours=1)):
        run(desk, "user", "set", "alice", "--active")
        handed = run(desk, "user", "set", "alice", "--inactive", "--hand-over-to", "bob")
    assert handed.exit_code == 0 and "open cases handed over to bob: 2" in handed.stderr
    with desk.read() as session:
        owners = {
            c: (lifecycle.get_case(session, c).owner, lifecycle.get_case(session, c).status)
            for c in (working, waiting)
        }
    assert owners == {working: ("bob", "in_progress"), waiting: ("bob", "pending_customer")}
    # The hand-over's note is kefu's own: in each reader's language, not the desk's alone.
    english = run(desk, "case", "show", waiting, "--json")
    [note] = [e for e in json.loads(english.stdout)["history"] if e["action"] == "assign"]
    assert note["message"]["key"] == "note.handed_over"
    chinese = run(desk, "case", "show", waiting, lang="zh")
    assert Message("note.handed_over", name="alice", to="bob").text("zh") in chinese.stdout


def test_a_mistyped_phone_is_corrected_with_a_reason_and_the_customer_found(desk: Desk) -> None:
    from conftest import cli_run as run
    from freezegun import freeze_time

    from kefu.core import services
    from kefu.core.identity import os_login

    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
        earlier = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW - timedelta(days=2), channel="hotline",
            description="第一次投诉", customer_phone="13812345678", received_at=NOW - timedelta(days=2),
        ).code  # fmt: skip
        mistyped = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="又来了",
            customer_phone="13812345679",
        ).code  # fmt: skip
    with freeze_time(NOW + timedelta(hours=1)):
        refused = run(desk, "--as", "alice", "case", "set", mistyped, "--phone", "+86 138 1234 5678")
        bad = run(desk, "--as", "alice", "case", "set", mistyped, "--phone", "1381234567X", "--note", "x")
        done = run(desk, "--as", "alice", "case", "set", mistyped, "--phone", "+86 138 1234 5678",
                   "--note", "客户回电更正号码", "--json")  # fmt: skip
    assert refused.exit_code == 2 and "say why with --note" in refused.stderr
    assert bad.exit_code == 2 and "is not a phone number" in bad.stderr
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert shown["customer"]["phone"] == "13812345678" and shown["repeat_of"] == earlier
    update = next(e for e in shown["history"] if e["action"] == "update")
    assert update["changes"] == {"customer_phone": ["13812345679", "13812345678"]}
    assert update["note"] == "客户回电更正号码"
    assert shown["customer_case_count"] == 2 and shown["customer_cases"][0]["code"] == earlier


def test_a_corrected_number_drops_the_links_it_no_longer_matches(desk: Desk) -> None:
    with desk.write() as session:
        first = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW - timedelta(days=2), channel="hotline",
            description="第一次", customer_phone="13812345678", received_at=NOW - timedelta(days=2),
        ).code  # fmt: skip
        wrong = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="记错号码的",
            customer_phone="13812345678",
        ).code  # fmt: skip
        later = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW + timedelta(hours=1), channel="hotline",
            description="真正是这位客户的后来一次", customer_phone="13900001111",
            received_at=NOW + timedelta(hours=1),
        ).code  # fmt: skip
    with desk.write() as session:
        intake.correct_contact(
            session=session, code=wrong, actor=desk.user("alice"), now=NOW + timedelta(hours=2),
            note="号码记错了", customer_phone="13900001111",
        )  # fmt: skip
    with desk.read() as session:
        cases = {c: lifecycle.get_case(session, c) for c in (first, wrong, later)}
        links = session.exec(
            text(
                "SELECT a.code, b.code FROM case_links l JOIN cases a ON a.id = l.case_id "
                "JOIN cases b ON b.id = l.other_id"
            )
        ).all()  # type: ignore[call-overload]
    assert cases[wrong].repeat_of is None  # no longer the first one's customer
    assert cases[later].repeat_of == wrong  # the same customer's earlier complaint now
    assert {tuple(link) for link in links} == {(later, wrong)}


def test_assigning_a_case_to_its_owner_is_no_change_and_is_said(desk: Desk) -> None:
    code = triaged(desk)  # alice owns it
    with desk.write() as session:
        with pytest.raises(InvalidInput, match=f"{code} is already alice's"):
            lifecycle.move_case(session=session, code=code, action="assign", actor=desk.user("sue"),
                                now=NOW + timedelta(minutes=30), owner="alice")  # fmt: skip
        session.rollback()
    with desk.read() as session:
        assert [e.action for e in lifecycle.case_events(session, lifecycle.get_case(session, code))][
            -1
        ] == "claim"


def test_a_blank_search_lists_everything_and_the_list_names_repeats(tmp_path: Path) -> None:
    from conftest import cli_run as run
    from conftest import make_cli_desk

    desk = make_cli_desk(tmp_path / "cli.db")
    with desk.write() as session:
        codes = [
            intake.create_case(session=session, actor=desk.user("alice"), now=NOW + timedelta(minutes=m),
                               channel="hotline", description="同一单", order_no="SF100").code
            for m in (0, 5)
        ]  # fmt: skip
    everything = json.loads(run(desk, "--as", "sue", "case", "list", "--search", " ", "--json").stdout)
    assert [row["code"] for row in everything] == codes[::-1]
    assert [row["repeat_of"] for row in everything] == [codes[0], None]
    assert {row["close_reason"] for row in everything} == {None}


def test_a_reclassification_leaves_a_met_clock_met(tmp_path: Path) -> None:
    """A P1 is escalated on intake and picked up (coordination met); corrected to P3, whose
    coordination target is another, the met instance stays as it was: no second instance with
    the new target and the old due time, met late."""
    from kefu.core.policy import bundled_profiles_dir

    desk = make_desk(tmp_path / "live.db", profile=bundled_profiles_dir() / "livestream.toml")
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="面霜过敏",
            category="quality", severity="P1", party="supplier", department="cs",
        ).code  # fmt: skip
    move(desk, code, "assign", "sue", 5, owner="alice")
    move(desk, code, "reclassify", "carol", 30, severity="P3", note="误判")
    with desk.read() as session:
        case_id = lifecycle.get_case(session, code).id
        rows = [(r.instance, r.target, r.met_at) for r in deadlines.case_rows(session, case_id)
                if r.clock == "coordination"]  # fmt: skip
    assert rows == [(1, "1h", NOW + timedelta(minutes=5))]


def test_a_reopen_cancels_the_planned_revisit(desk: Desk) -> None:
    from sqlmodel import select

    from kefu.core.models import Revisit

    code = triaged(desk)
    move(desk, code, "propose", "alice", 10, resolution="apology")
    move(desk, code, "confirm", "alice", 20, satisfied="yes", score=5)
    move(desk, code, "reopen", "alice", 30, note="客户又来电")
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        revisits = session.exec(select(Revisit).where(Revisit.case_id == case.id)).all()
    assert [r.status for r in revisits] == ["cancelled"]
    assert (case.satisfied, case.satisfaction_score) == (None, None)


def test_a_deactivated_user_is_told_so_not_that_they_do_not_exist(tmp_path: Path) -> None:
    from conftest import cli_run as run
    from conftest import make_cli_desk

    desk = make_cli_desk(tmp_path / "cli.db")
    assert run(desk, "user", "set", "alice", "--inactive").exit_code == 0
    refused = run(desk, "--as", "alice", "case", "list")
    assert refused.exit_code == 2, refused.output
    assert (
        "alice is deactivated on this desk" in refused.stderr
        and "kefu user set alice --active" in refused.stderr
    )
