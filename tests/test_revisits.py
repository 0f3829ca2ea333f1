"""Revisits after closure: scheduled at the policy's delay, made due by
`kefu revisit schedule`, listed by `kefu revisit due`, outcomes recorded with
`kefu case move CODE revisit --outcome ...` (satisfied / unsatisfied reopens / unreachable
retried up to the policy's attempts).

The mini policy (tests/data/mini.toml): revisit delay 2wd, 2 attempts, retry after 1wd; the cn
calendar with business hours ending 18:00 Asia/Shanghai.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import Desk
from conftest import cli_run as run
from freezegun import freeze_time
from sqlmodel import col, select

from kefu.core import intake, lifecycle, revisits, slacheck
from kefu.core.errors import InvalidInput, PermissionDenied, Refused
from kefu.core.models import Case, Revisit

SH = ZoneInfo("Asia/Shanghai")
TRIAGED = {"severity": "P2", "category": "delay", "party": "courier", "department": "cs"}


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def move(desk: Desk, code: str, action: str, who: str, at: datetime, **fields: object) -> Case:
    with desk.write() as session:
        return lifecycle.move_case(
            session=session, code=code, action=action, actor=desk.user(who), now=at, **fields
        )


def closed_case(desk: Desk, at: datetime, phone: str = "13800001111") -> str:
    """A case received at `at`, resolved and confirmed by alice within the hour."""
    with desk.write() as session:
        code = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=at,
            channel="hotline",
            description="包裹破损",
            customer_name="张三",
            customer_phone=phone,
            **TRIAGED,
        ).code
    move(desk, code, "claim", "alice", at + timedelta(minutes=5))
    move(desk, code, "propose", "alice", at + timedelta(minutes=30), resolution="apology")
    move(desk, code, "confirm", "alice", at + timedelta(minutes=50), satisfied="yes", score=4)
    return code


def waiting(desk: Desk, code: str) -> list[tuple[str, datetime, int]]:
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        rows = session.exec(select(Revisit).where(Revisit.case_id == case.id).order_by(col(Revisit.id))).all()
        return [(r.status, r.due_at.astimezone(SH), r.attempts) for r in rows]


def schedule(desk: Desk, at: datetime, who: str = "admin") -> revisits.ScheduleRun:
    with desk.write() as session:
        return revisits.mark_due_revisits(session=session, actor=desk.user(who), now=at)


def due_codes(desk: Desk, who: str = "alice") -> list[str]:
    with desk.read() as session:
        return [r.code for r in revisits.due_revisits(session, desk.user(who))]


def load(desk: Desk, code: str) -> Case:
    with desk.read() as session:
        return lifecycle.get_case(session, code)


# -- scheduling ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Closed Tue 24 Nov 10:50 → Wed 25, Thu 26 → 26 Nov 09:00.
        (sh(2026, 11, 24, 10), sh(2026, 11, 26, 9)),
        # Closed Wed 30 Sep → National Day → Thu 8, Fri 9 Oct.
        (sh(2026, 9, 30, 10), sh(2026, 10, 9, 9)),
        # Closed Fri 13 Feb → the make-up Saturday 14 Feb, then Tue 24 Feb after the festival.
        (sh(2026, 2, 13, 10), sh(2026, 2, 24, 9)),
        # Closed late on Thu 31 Dec 2025 local (UTC still the 31st) → Sun 4 Jan (make-up), Mon 5.
        (sh(2025, 12, 31, 22), sh(2026, 1, 5, 9)),
    ],
)
def test_closing_schedules_the_revisit_at_the_policy_delay(
    desk: Desk, received: datetime, due: datetime
) -> None:
    code = closed_case(desk, received)
    assert waiting(desk, code) == [("scheduled", due, 0)]


def test_schedule_makes_revisits_due_only_when_their_time_has_come(desk: Desk) -> None:
    code = closed_case(desk, sh(2026, 11, 24, 10))
    assert schedule(desk, sh(2026, 11, 26, 8, 59)).became_due == []
    assert due_codes(desk) == []
    run = schedule(desk, sh(2026, 11, 26, 9))
    assert run.became_due == [code]
    assert due_codes(desk) == [code]
    assert schedule(desk, sh(2026, 11, 27, 9)).became_due == []  # re-run: no-op
    assert waiting(desk, code) == [("due", sh(2026, 11, 26, 9), 0)]


def test_due_queue_masks_the_customer_for_analysts(desk: Desk) -> None:
    closed_case(desk, sh(2026, 11, 24, 10), phone="13812345678")
    schedule(desk, sh(2026, 11, 27, 9))
    with desk.read() as session:
        agent_view = [r.as_json() for r in revisits.due_revisits(session, desk.user("alice"))]
        analyst_view = [r.as_json() for r in revisits.due_revisits(session, desk.user("ana"))]
    assert agent_view[0]["customer"]["phone"] == "13812345678"
    assert agent_view[0]["customer"]["name"] == "张三"
    assert analyst_view[0]["customer"]["phone"] == "138****5678"
    assert analyst_view[0]["customer"]["name"] == "张*"
    assert agent_view[0]["due_at"] == "2026-11-26T09:00:00+08:00"
    assert (agent_view[0]["attempts"], agent_view[0]["attempts_allowed"]) == (0, 2)


def test_only_admins_and_supervisors_schedule(desk: Desk) -> None:
    with pytest.raises(PermissionDenied, match="may not schedule revisits"):
        schedule(desk, sh(2026, 11, 27, 9), who="alice")
    schedule(desk, sh(2026, 11, 27, 9), who="sue")


def test_schedule_refuses_a_future_as_of(desk: Desk) -> None:
    with desk.write() as session, pytest.raises(InvalidInput, match="in the future"):
        revisits.mark_due_revisits(
            session=session,
            actor=desk.user("admin"),
            now=sh(2026, 11, 24, 10),
            as_of=sh(2026, 11, 30, 10),
        )


# -- outcomes --------------------------------------------------------------------------------


def test_a_revisit_opens_at_the_start_of_business_on_its_day(desk: Desk) -> None:
    """Due on Thu 26 Nov (2wd after Tuesday): callable from 09:00 that day, not only after 18:00."""
    code = closed_case(desk, sh(2026, 11, 24, 10))
    with pytest.raises(Refused, match=r"not due until 2026-11-26 09:00"):
        move(desk, code, "revisit", "bob", sh(2026, 11, 26, 8, 55), outcome="satisfied")
    assert schedule(desk, sh(2026, 11, 26, 9, 30)).became_due == [code]
    case = move(desk, code, "revisit", "bob", sh(2026, 11, 26, 10), outcome="satisfied")
    assert case.revisit_outcome == "satisfied"


def test_satisfied_revisit_ends_it(desk: Desk) -> None:
    code = closed_case(desk, sh(2026, 11, 24, 10))
    with pytest.raises(Refused, match=r"not due until 2026-11-26 09:00 \+0800"):
        move(desk, code, "revisit", "bob", sh(2026, 11, 26, 8, 30), outcome="satisfied")
    schedule(desk, sh(2026, 11, 27, 9))
    case = move(desk, code, "revisit", "bob", sh(2026, 11, 27, 10), outcome="satisfied", score=5)
    assert (case.status, case.revisit_outcome, case.satisfaction_score) == ("closed", "satisfied", 5)
    assert waiting(desk, code) == [("done", sh(2026, 11, 26, 9), 1)]
    assert due_codes(desk) == []
    with pytest.raises(Refused, match="has no revisit waiting"):
        move(desk, code, "revisit", "bob", sh(2026, 11, 27, 11), outcome="satisfied")


def test_unsatisfied_revisit_reopens_the_case_with_the_reason(desk: Desk) -> None:
    code = closed_case(desk, sh(2026, 11, 24, 10))
    schedule(desk, sh(2026, 11, 27, 9))
    with pytest.raises(InvalidInput, match="needs the reason"):
        move(desk, code, "revisit", "alice", sh(2026, 11, 27, 10), outcome="unsatisfied")
    assert waiting(desk, code) == [("due", sh(2026, 11, 26, 9), 0)]  # nothing half-done
    case = move(
        desk,
        code,
        "revisit",
        "alice",
        sh(2026, 11, 27, 10),
        outcome="unsatisfied",
        note="赔偿未到账",
    )
    assert (case.status, case.reopen_count, case.satisfied) == ("in_progress", 1, False)
    assert (case.closed_at, case.close_reason, case.revisit_outcome) == (None, None, "unsatisfied")
    with desk.read() as session:
        last = lifecycle.case_events(session, lifecycle.get_case(session, code))[-1]
    assert (last.action, last.from_status, last.to_status, last.note) == (
        "revisit",
        "closed",
        "in_progress",
        "赔偿未到账",
    )
    assert waiting(desk, code) == [("done", sh(2026, 11, 26, 9), 1)]
    # Resolved and confirmed again: a new revisit is scheduled from the new closing.
    move(desk, code, "propose", "alice", sh(2026, 11, 30, 10), resolution="apology")
    move(desk, code, "confirm", "alice", sh(2026, 11, 30, 11), satisfied="yes")
    assert waiting(desk, code)[-1] == ("scheduled", sh(2026, 12, 2, 9), 0)


def test_unreachable_is_retried_up_to_the_attempts_then_ends_unreachable(desk: Desk) -> None:
    code = closed_case(desk, sh(2026, 11, 24, 10))
    schedule(desk, sh(2026, 11, 27, 9))
    # First call, Fri 27 Nov: nobody answers → retry after 1wd (Mon 30 Nov, from its opening).
    with pytest.raises(InvalidInput, match="no score"):
        move(desk, code, "revisit", "alice", sh(2026, 11, 27, 10), outcome="unreachable", score=3)
    case = move(desk, code, "revisit", "alice", sh(2026, 11, 27, 10), outcome="unreachable")
    assert (case.status, case.revisit_outcome) == ("closed", None)
    assert waiting(desk, code) == [("scheduled", sh(2026, 11, 30, 9), 1)]
    assert due_codes(desk) == []
    with pytest.raises(Refused, match="not due until 2026-11-30 09:00"):
        move(desk, code, "revisit", "alice", sh(2026, 11, 30, 8), outcome="unreachable")
    assert schedule(desk, sh(2026, 12, 1, 9)).became_due == [code]
    # Second and last attempt (the policy allows 2): the revisit ends as unreachable.
    case = move(desk, code, "revisit", "alice", sh(2026, 12, 1, 10), outcome="unreachable")
    assert (case.status, case.revisit_outcome) == ("closed", "unreachable")
    assert waiting(desk, code) == [("unreachable", sh(2026, 11, 30, 9), 2)]
    assert schedule(desk, sh(2026, 12, 10, 9)).became_due == []
    with pytest.raises(Refused, match="has no revisit waiting"):
        move(desk, code, "revisit", "alice", sh(2026, 12, 10, 10), outcome="unreachable")


def test_a_reopened_case_loses_its_waiting_revisit(desk: Desk) -> None:
    code = closed_case(desk, sh(2026, 11, 24, 10))
    move(desk, code, "reopen", "alice", sh(2026, 11, 25, 10), note="客户来电说仍未收到")
    # Cancelled by the reopen itself: the revisit tab and `revisit due` agree at once.
    assert waiting(desk, code) == [("cancelled", sh(2026, 11, 26, 9), 0)]
    run = schedule(desk, sh(2026, 11, 27, 9))
    assert (run.became_due, run.cancelled) == ([], [])
    assert due_codes(desk) == []
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        notes = [r.note for r in session.exec(select(Revisit).where(Revisit.case_id == case.id)).all()]
    # revisit.note is free text: the system's reason is stored in English, as it always was.
    assert notes == ["cancelled: the case was reopened before the revisit"]


def test_the_schedule_run_cancels_a_revisit_an_earlier_kefu_left_waiting(desk: Desk) -> None:
    """Before reopens cancelled their revisit at once, `revisit schedule` did: a desk upgraded
    with such a revisit still gets it cancelled."""
    from sqlalchemy import text

    code = closed_case(desk, sh(2026, 11, 24, 10))
    move(desk, code, "reopen", "alice", sh(2026, 11, 25, 10), note="客户来电说仍未收到")
    with desk.write() as session:  # as an earlier kefu left it
        session.execute(text("UPDATE revisits SET status = 'scheduled', note = NULL"))
    run = schedule(desk, sh(2026, 11, 27, 9))
    assert (run.became_due, run.cancelled) == ([], [code])
    assert waiting(desk, code) == [("cancelled", sh(2026, 11, 26, 9), 0)]


def test_closing_again_before_the_schedule_run_keeps_one_revisit_waiting(desk: Desk) -> None:
    code = closed_case(desk, sh(2026, 11, 24, 10))
    move(desk, code, "reopen", "alice", sh(2026, 11, 25, 10), note="客户补充")
    move(desk, code, "propose", "alice", sh(2026, 11, 25, 11), resolution="apology")
    move(desk, code, "confirm", "alice", sh(2026, 11, 25, 12), satisfied="yes")
    assert [r[0] for r in waiting(desk, code)] == ["cancelled", "scheduled"]
    schedule(desk, sh(2026, 11, 27, 18))
    assert due_codes(desk) == [code]


def test_auto_closed_case_gets_a_revisit_too(desk: Desk) -> None:
    with desk.write() as session:
        code = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=sh(2026, 11, 24, 10),
            channel="hotline",
            description="包裹破损",
            **TRIAGED,
        ).code
    move(desk, code, "claim", "alice", sh(2026, 11, 24, 10, 5))
    move(desk, code, "propose", "alice", sh(2026, 11, 24, 10, 30), resolution="apology")
    # The 3wd confirmation window ends Fri 27 Nov 18:00; sla check runs Mon 30 Nov 08:00.
    report = slacheck.check_sla(engine=desk.engine, actor=desk.user("admin"), now=sh(2026, 11, 30, 8))
    assert [a.code for a in report.auto_closed] == [code]
    # 2wd after the closing day (Mon 30 Nov): Tue 1, Wed 2 Dec.
    assert waiting(desk, code) == [("scheduled", sh(2026, 12, 2, 9), 0)]
    assert load(desk, code).close_reason == "no_answer"


# -- the CLI ---------------------------------------------------------------------------------


def test_cli_revisit_schedule_due_and_outcomes(cli_desk: Desk) -> None:
    code = closed_case(cli_desk, sh(2026, 11, 24, 10), phone="13812345678")
    with freeze_time(sh(2026, 11, 26, 8)):
        result = run(cli_desk, "revisit", "schedule")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "0 revisit(s) now due"
    with freeze_time(sh(2026, 11, 27, 12)):
        result = run(cli_desk, "revisit", "schedule", "--as-of", "2026-11-26T08:59")
        assert result.stdout.strip() == "0 revisit(s) now due"
        result = run(cli_desk, "revisit", "schedule")
        assert result.stdout.strip() == "1 revisit(s) now due"
        result = run(cli_desk, "revisit", "due", "--json")
        assert result.exit_code == 0, result.output
        [row] = json.loads(result.stdout)
        assert (row["code"], row["due_at"], row["attempts"]) == (
            code,
            "2026-11-26T09:00:00+08:00",
            0,
        )
        assert row["customer"]["phone"] == "13812345678"
        masked = run(cli_desk, "--as", "ana", "revisit", "due", "--json")
        assert json.loads(masked.stdout)[0]["customer"]["phone"] == "138****5678"
        table = run(cli_desk, "revisit", "due")
        assert code in table.stdout and "0/2" in table.stdout
        result = run(cli_desk, "--as", "bob", "case", "move", code, "revisit", "--outcome", "unreachable")
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == f"{code}: revisit → closed (owner alice)"
        result = run(cli_desk, "--as", "bob", "case", "move", code, "revisit", "--outcome", "unreachable")
        assert result.exit_code == 2
        assert "not due until 2026-11-30 09:00 +0800" in result.stderr
        assert "Traceback" not in result.output
        result = run(cli_desk, "--as", "alice", "revisit", "schedule")
        assert result.exit_code == 2
        assert "may not schedule revisits" in result.stderr
    with freeze_time(sh(2026, 12, 1, 10)):
        assert run(cli_desk, "revisit", "schedule").stdout.strip() == "1 revisit(s) now due"
        result = run(
            cli_desk,
            "--as",
            "bob",
            "case",
            "move",
            code,
            "revisit",
            "--outcome",
            "unsatisfied",
            "--note",
            "还是坏的",
        )
        assert result.exit_code == 0, result.output
        assert "revisit → in_progress" in result.stdout
        result = run(cli_desk, "revisit", "due")
        assert "no revisits due" in result.stderr
