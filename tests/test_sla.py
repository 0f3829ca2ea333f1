"""SLA clocks on cases and `kefu sla check`: deadlines at chosen instants, pauses,
at risk at 80 %, breaches recorded once, escalation per each case's own policy, auto-close
after the confirmation window, repeat-complaint linking, the query plans, and the CLI.

Expected deadlines are worked out by hand from the official 2026 mainland schedule
(chinesecalendar 1.11) and the mini policy (tests/data/mini.toml): business hours 09:00-12:00
and 13:00-18:00 Asia/Shanghai; P2 first response 30bm, resolution 8bh (3wd when complex),
coordination 4bh; P3 first response 2bh, resolution 3wd; P1 15m / 24h / 2h and escalated on
intake; confirmation window 3wd; escalation on breach of the resolution clock (the default).
"""

from __future__ import annotations

import json
import threading
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import MINI_PROFILE, Desk, make_desk
from conftest import cli_run as run
from freezegun import freeze_time
from sqlalchemy import func
from sqlmodel import col, select
from typer.testing import CliRunner

from kefu.cli import app
from kefu.core import intake, lifecycle, policies, services, slacheck, views
from kefu.core.calendar import CalendarCoverageWarning, WorkCalendar
from kefu.core.errors import InvalidInput, PermissionDenied
from kefu.core.models import Breach, Case, CaseLink, Event, Revisit

SH = ZoneInfo("Asia/Shanghai")
P2_TRIAGED = {"severity": "P2", "category": "delay", "party": "courier", "department": "cs"}


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


def new_case(desk: Desk, at: datetime, who: str = "alice", **fields: object) -> str:
    fields.setdefault("channel", "hotline")
    fields.setdefault("description", "快递三天没有更新")
    with desk.write() as session:
        case = intake.create_case(session=session, actor=desk.user(who), now=at, received_at=at, **fields)
        return case.code


def move(desk: Desk, code: str, action: str, who: str, at: datetime, **fields: object) -> Case:
    with desk.write() as session:
        return lifecycle.move_case(
            session=session, code=code, action=action, actor=desk.user(who), now=at, **fields
        )


def contact(desk: Desk, code: str, who: str, at: datetime) -> None:
    with desk.write() as session:
        services.add_note(
            session=session, code=code, actor=desk.user(who), now=at, text="已致电", contact="call"
        )


def load(desk: Desk, code: str) -> Case:
    with desk.read() as session:
        return lifecycle.get_case(session, code)


def check(desk: Desk, at: datetime, who: str = "admin") -> slacheck.SlaReport:
    return slacheck.check_sla(engine=desk.engine, actor=desk.user(who), now=at)


def local(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(SH)


def events(desk: Desk, code: str) -> list[Event]:
    with desk.read() as session:
        return list(lifecycle.case_events(session, lifecycle.get_case(session, code)))


def breach_count(desk: Desk) -> int:
    with desk.read() as session:
        return session.exec(select(func.count()).select_from(Breach)).one()


def assert_recomputable(desk: Desk, code: str, at: datetime) -> None:
    """The stored deadlines equal those rebuilt from the policy and the event history."""
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        rebuilt = lifecycle.recompute_deadlines(session, case, at)
        stored = {
            "first_response": case.due_first_response,
            "resolution": case.due_resolution,
            "coordination": case.due_coordination,
        }
    assert rebuilt == stored


# -- deadlines at chosen instants ----------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "fields", "first_response", "resolution"),
    [
        # Plain Tuesday inside business hours.
        (sh(2026, 11, 24, 10), P2_TRIAGED, sh(2026, 11, 24, 10, 30), sh(2026, 11, 25, 10)),
        # Received after hours: the business clock starts at the next opening.
        (sh(2026, 11, 24, 20), P2_TRIAGED, sh(2026, 11, 25, 9, 30), sh(2026, 11, 25, 18)),
        # Received in the lunch break.
        (sh(2026, 11, 24, 12, 30), P2_TRIAGED, sh(2026, 11, 24, 13, 30), sh(2026, 11, 25, 12)),
        # Received on a National Day holiday: nothing runs until Thu 8 Oct.
        (sh(2026, 10, 3, 11), P2_TRIAGED, sh(2026, 10, 8, 9, 30), sh(2026, 10, 8, 18)),
        # Spring Festival eve: Fri 13 Feb 17:00 → one hour that day, seven on the make-up
        # Saturday 14 Feb (09:00-12:00, then 13:00-17:00).
        (sh(2026, 2, 13, 17), P2_TRIAGED, sh(2026, 2, 13, 17, 30), sh(2026, 2, 14, 17)),
        # Received on the make-up Saturday late: half an hour, then the holiday, then Tue 24 Feb.
        (sh(2026, 2, 14, 17, 30), P2_TRIAGED, sh(2026, 2, 14, 18), sh(2026, 2, 24, 17, 30)),
        # The working-day example: received Wed 30 Sep, 3wd → Thu 8, Fri 9, Sat 10 Oct (make-up) at close.
        (sh(2026, 9, 30, 10), {"severity": "P3"}, sh(2026, 9, 30, 12), sh(2026, 10, 10, 18)),
        # 3wd from the make-up Saturday: Tue 24, Wed 25, Thu 26 Feb.
        (sh(2026, 2, 14, 10), {"severity": "P3"}, sh(2026, 2, 14, 12), sh(2026, 2, 26, 18)),
        # Month end: Thu 26 Feb → Fri 27, Sat 28 (make-up), Mon 2 Mar; 2bh end at closing time.
        (sh(2026, 2, 26, 16), {"severity": "P3"}, sh(2026, 2, 26, 18), sh(2026, 3, 2, 18)),
        # Year end: Wed 31 Dec 2025 → Sun 4 Jan 2026 (make-up), Mon 5, Tue 6.
        (sh(2025, 12, 31, 15), {"severity": "P3"}, sh(2025, 12, 31, 17), sh(2026, 1, 6, 18)),
        # Calendar clocks ignore holidays: P1 on 2 Oct.
        (sh(2026, 10, 2, 10), {"severity": "P1"}, sh(2026, 10, 2, 10, 15), sh(2026, 10, 3, 10)),
    ],
    ids=[
        "plain-day",
        "after-hours",
        "lunch-break",
        "national-day-holiday",
        "spring-festival-eve",
        "make-up-saturday-late",
        "spec-3wd-national-day",
        "3wd-from-make-up-saturday",
        "month-end",
        "year-end",
        "calendar-clock-on-holiday",
    ],
)
def test_deadlines_at_chosen_instants(
    desk: Desk,
    received: datetime,
    fields: dict[str, str],
    first_response: datetime,
    resolution: datetime,
) -> None:
    code = new_case(desk, received, **fields)
    case = load(desk, code)
    assert local(case.due_first_response) == first_response
    assert local(case.due_resolution) == resolution
    assert_recomputable(desk, code, received)


@pytest.mark.parametrize(
    ("received_utc", "code_day", "resolution"),
    [
        # 16:30 UTC on the 24th is 00:30 on Wed 25 Nov in Shanghai: the local date counts.
        (datetime(2026, 11, 24, 16, 30, tzinfo=UTC), "20261125", sh(2026, 11, 30, 18)),
        # 15:59 UTC is still 23:59 on Tue 24 Nov locally.
        (datetime(2026, 11, 24, 15, 59, tzinfo=UTC), "20261124", sh(2026, 11, 27, 18)),
    ],
)
def test_utc_and_shanghai_date_boundary(
    desk: Desk, received_utc: datetime, code_day: str, resolution: datetime
) -> None:
    code = new_case(desk, received_utc, severity="P3")
    assert code.startswith(f"T-{code_day}-")
    case = load(desk, code)
    assert local(case.due_resolution) == resolution
    assert local(case.due_first_response) == sh(2026, 11, 25, 11)


def test_pause_across_national_day_moves_the_open_deadline_only(desk: Desk) -> None:
    # P2 received Wed 30 Sep 09:00: resolution 8bh → 30 Sep 18:00; first response met at 09:10.
    code = new_case(desk, sh(2026, 9, 30, 9), **P2_TRIAGED)
    contact(desk, code, "alice", sh(2026, 9, 30, 9, 10))
    move(desk, code, "claim", "alice", sh(2026, 9, 30, 9, 15))
    move(desk, code, "wait", "alice", sh(2026, 9, 30, 11), note="等客户提供照片")
    assert local(load(desk, code).due_resolution) == sh(2026, 9, 30, 18)
    # While paused, sla check neither flags nor records it even though 18:00 has passed.
    report = check(desk, sh(2026, 10, 5, 12))
    assert report.breached == [] and report.new_breaches == []
    move(desk, code, "resume", "alice", sh(2026, 10, 8, 10))
    case = load(desk, code)
    # 360 business minutes were left at 11:00; from Thu 8 Oct 10:00 they end at 17:00.
    assert local(case.due_resolution) == sh(2026, 10, 8, 17)
    # The first response was given before the pause, so its deadline stays where it was.
    assert local(case.due_first_response) == sh(2026, 9, 30, 9, 30)
    assert_recomputable(desk, code, sh(2026, 10, 8, 10))
    assert check(desk, sh(2026, 10, 8, 16, 59)).breached == []
    late = check(desk, sh(2026, 10, 8, 17))
    assert [(r.code, r.clock) for r in late.new_breaches] == [(code, "resolution")]


def test_pause_on_calendar_clock_moves_by_wall_time(desk: Desk) -> None:
    code = new_case(desk, sh(2026, 10, 2, 10), severity="P1")  # escalated on intake
    case = load(desk, code)
    assert case.status == "escalated"
    assert local(case.due_coordination) == sh(2026, 10, 2, 12)
    move(desk, code, "claim", "hank", sh(2026, 10, 2, 10, 5))
    contact(desk, code, "hank", sh(2026, 10, 2, 10, 6))
    move(desk, code, "wait", "hank", sh(2026, 10, 2, 11), note="等待客户回电")
    move(desk, code, "resume", "hank", sh(2026, 10, 2, 13))
    case = load(desk, code)
    assert local(case.due_resolution) == sh(2026, 10, 3, 12)  # 24h + the 2h paused
    assert local(case.due_first_response) == sh(2026, 10, 2, 10, 15)
    assert_recomputable(desk, code, sh(2026, 10, 2, 13))


def test_deadlines_recomputable_from_events_through_a_whole_life(desk: Desk) -> None:
    t = sh(2026, 11, 24, 9, 30)
    code = new_case(desk, t, severity="P3")
    assert_recomputable(desk, code, t)
    steps = [
        ("triage", "carol", t + timedelta(minutes=20), {**P2_TRIAGED, "complexity": "simple"}),
        ("claim", "alice", t + timedelta(minutes=40), {}),
        ("wait", "alice", t + timedelta(hours=1), {"note": "等客户"}),
        ("resume", "alice", t + timedelta(days=1), {}),
        ("escalate", "alice", t + timedelta(days=1, hours=1), {"note": "复杂"}),
        ("claim", "hank", t + timedelta(days=1, hours=2), {}),
        ("wait", "hank", t + timedelta(days=1, hours=3), {"note": "等照片"}),
        ("resume", "hank", t + timedelta(days=6), {}),
    ]
    for action, who, at, fields in steps:
        move(desk, code, action, who, at, **fields)
        assert_recomputable(desk, code, at)


# -- at risk at 80 % -------------------------------------------------------------------------


def test_at_risk_at_eighty_percent(desk: Desk) -> None:
    code = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)  # first response due 10:30
    early = check(desk, sh(2026, 11, 24, 10, 23))  # 23 of 30 minutes used
    assert early.at_risk == []
    report = check(desk, sh(2026, 11, 24, 10, 24))  # 24 of 30: exactly 80 %
    assert [(r.code, r.clock, r.minutes) for r in report.at_risk] == [(code, "first_response", 6.0)]
    assert report.as_dict()["at_risk"][0]["due"] == "2026-11-24T10:30:00+08:00"
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        profile = policies.case_profile(session, case)
        summary = views.case_summary(case, profile, desk.user("alice"), sh(2026, 11, 24, 10, 24)).as_json()
    assert summary["due"]["first_response"]["state"] == "at_risk"
    assert summary["sla"] == "at_risk"


def test_at_risk_on_working_days_spec_example(desk: Desk) -> None:
    # 3wd from Wed 30 Sep 10:00 grants 1860 business minutes; at risk with 372 or fewer left.
    code = new_case(desk, sh(2026, 9, 30, 10), severity="P3")
    contact(desk, code, "alice", sh(2026, 9, 30, 10, 5))
    assert check(desk, sh(2026, 10, 9, 17)).at_risk == []
    assert check(desk, sh(2026, 10, 10, 10, 47)).at_risk == []  # 373 left
    report = check(desk, sh(2026, 10, 10, 10, 48))  # 372 left
    assert [(r.code, r.clock) for r in report.at_risk] == [(code, "resolution")]
    assert check(desk, sh(2026, 10, 10, 18)).breached[0].code == code


def test_time_spent_paused_does_not_count_towards_at_risk(desk: Desk) -> None:
    code = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    move(desk, code, "claim", "alice", sh(2026, 11, 24, 10, 1))
    move(desk, code, "wait", "alice", sh(2026, 11, 24, 10, 10), note="等客户")
    move(desk, code, "resume", "alice", sh(2026, 11, 24, 14))
    # 170 business minutes paused: first response due 10:30 → 14:20.
    assert local(load(desk, code).due_first_response) == sh(2026, 11, 24, 14, 20)
    assert check(desk, sh(2026, 11, 24, 14, 13)).at_risk == []
    report = check(desk, sh(2026, 11, 24, 14, 14))
    assert [(r.code, r.clock) for r in report.at_risk] == [(code, "first_response")]


# -- breaches: once, escalation, own policy --------------------------------------------------


def test_breach_recorded_once_and_rerun_is_a_no_op(desk: Desk) -> None:
    code = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    assert check(desk, sh(2026, 11, 24, 10, 29, 59)).breached == []
    first = check(desk, sh(2026, 11, 24, 10, 30))  # the deadline instant itself is a breach
    assert [(r.code, r.clock, r.new) for r in first.breached] == [(code, "first_response", True)]
    assert [(r.code, r.clock) for r in first.new_breaches] == [(code, "first_response")]
    assert first.escalated == []  # the mini policy escalates on resolution breaches only
    history = events(desk, code)
    assert [(e.actor, e.action) for e in history][-1] == ("kefu", "breach")
    assert history[-1].changes["breach"] == [None, "first_response"]
    for later in (1, 15, 60, 300):
        again = check(desk, sh(2026, 11, 24, 10, 30) + timedelta(minutes=later))
        assert again.new_breaches == []
        assert [(r.code, r.new) for r in again.breached] == [(code, False)]
    assert breach_count(desk) == 1
    assert len(events(desk, code)) == len(history)
    with desk.read() as session:
        breach = session.exec(select(Breach)).one()
    assert (breach.kind, local(breach.due_at), breach.department) == (
        "first_response",
        sh(2026, 11, 24, 10, 30),
        "cs",
    )


def test_resolution_breach_escalates_through_the_escalate_path(desk: Desk) -> None:
    code = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    contact(desk, code, "alice", sh(2026, 11, 24, 10, 5))
    move(desk, code, "claim", "alice", sh(2026, 11, 24, 10, 6))
    report = check(desk, sh(2026, 11, 25, 10))  # 8bh resolution due 25 Nov 10:00
    assert [(e.code, e.clock, e.from_status) for e in report.escalated] == [
        (code, "resolution", "in_progress")
    ]
    assert [(r.code, r.clock, r.new, r.escalated) for r in report.breached] == [
        (code, "resolution", True, True)
    ]
    case = load(desk, code)
    assert case.status == "escalated"
    assert case.complexity == "simple"  # complexity is set at triage, not by escalation
    assert local(case.escalated_at) == sh(2026, 11, 25, 10)
    assert local(case.due_coordination) == sh(2026, 11, 25, 15)  # 4bh, lunch excluded
    assert local(case.due_resolution) == sh(2026, 11, 25, 10)  # the missed deadline stays
    tail = [(e.actor, e.action, e.from_status, e.to_status) for e in events(desk, code)][-2:]
    assert tail == [("kefu", "breach", None, None), ("kefu", "escalate", "in_progress", "escalated")]
    assert_recomputable(desk, code, sh(2026, 11, 25, 10))
    # Re-run: nothing new, nothing escalated again, and the case is still listed as breached.
    again = check(desk, sh(2026, 11, 25, 10, 1))
    assert (again.new_breaches, again.escalated) == ([], [])
    assert [(r.code, r.clock, r.new, r.escalated) for r in again.breached] == [
        (code, "resolution", False, False)
    ]
    # The coordination clock breaches next and is recorded, but a case escalates only once.
    later = check(desk, sh(2026, 11, 25, 15))
    assert [(r.code, r.clock) for r in later.new_breaches] == [(code, "coordination")]
    assert later.escalated == []
    assert breach_count(desk) == 2


def test_a_paused_clock_shows_the_time_left_when_the_pause_began(desk: Desk) -> None:
    # P2 received Tue 24 Nov 10:00: first response due 10:30, resolution (8bh) Wed 25 Nov 10:00.
    code = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    move(desk, code, "claim", "alice", sh(2026, 11, 24, 10, 1))
    move(desk, code, "wait", "alice", sh(2026, 11, 24, 10, 40), note="等客户")
    # Days later the clocks still show what was left at 10:40, not a countdown past the due.
    for now in (sh(2026, 11, 24, 10, 41), sh(2026, 11, 27, 12)):
        with desk.read() as session:
            case = lifecycle.get_case(session, code)
            states = views.deadline_states(case, policies.case_profile(session, case), now)
        # Resolution: 10:40-12:00 and 13:00-18:00 today, 09:00-10:00 tomorrow = 440 bm.
        assert (states["resolution"].state, states["resolution"].remaining_minutes) == ("paused", 440)
        # First response was already 10 minutes overdue when the pause began.
        assert (states["first_response"].state, states["first_response"].remaining_minutes) == (
            "paused",
            -10,
        )


def test_paused_and_pending_approval_cases(desk: Desk) -> None:
    paused = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    move(desk, paused, "claim", "alice", sh(2026, 11, 24, 10, 1))
    move(desk, paused, "wait", "alice", sh(2026, 11, 24, 10, 2), note="等客户")
    approval = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    move(desk, approval, "claim", "bob", sh(2026, 11, 24, 10, 1))
    move(
        desk,
        approval,
        "propose",
        "bob",
        sh(2026, 11, 24, 10, 20),
        resolution="compensation",
        amount=500,
    )
    assert load(desk, approval).status == "pending_approval"
    report = check(desk, sh(2026, 11, 26, 10))
    # The paused case is skipped; the one waiting for approval breaches but is not escalated.
    assert {(r.code, r.clock) for r in report.new_breaches} == {(approval, "resolution")}
    assert report.escalated == []
    assert load(desk, approval).status == "pending_approval"
    assert load(desk, paused).status == "pending_customer"


def test_each_case_escalates_per_its_own_policy_version(desk: Desk, tmp_path: Path) -> None:
    old = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    revised = MINI_PROFILE.read_text(encoding="utf-8") + ('\n[escalation]\non_breach = ["first_response"]\n')
    with desk.write() as session:
        services.apply_policy(
            session=session,
            actor=desk.user("admin"),
            text=revised,
            origin="revised.toml",
            now=sh(2026, 11, 24, 10, 5),
        )
    new = new_case(desk, sh(2026, 11, 24, 10, 5), **P2_TRIAGED)
    report = check(desk, sh(2026, 11, 24, 11))
    assert {(r.code, r.clock) for r in report.new_breaches} == {
        (old, "first_response"),
        (new, "first_response"),
    }
    assert [e.code for e in report.escalated] == [new]
    assert load(desk, old).status == "triaged"
    assert load(desk, new).status == "escalated"


def test_a_failing_batch_leaves_nothing_half_written(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    codes = [new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED) for _ in range(3)]
    calls = {"n": 0}
    real = slacheck.system_move

    def flaky(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(slacheck, "system_move", flaky)
    with pytest.raises(RuntimeError):
        check(desk, sh(2026, 11, 25, 11))
    assert breach_count(desk) == 0
    assert {load(desk, c).status for c in codes} == {"triaged"}
    assert all(e.action != "breach" for c in codes for e in events(desk, c))
    monkeypatch.setattr(slacheck, "system_move", real)
    report = check(desk, sh(2026, 11, 25, 11))
    assert sorted(e.code for e in report.escalated) == sorted(codes)
    assert breach_count(desk) == 6  # first response and resolution of each


def test_batches_cover_every_breach(desk: Desk) -> None:
    codes = [new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED) for _ in range(7)]
    report = slacheck.check_sla(
        engine=desk.engine, actor=desk.user("sue"), now=sh(2026, 11, 24, 11), batch_size=2
    )
    assert sorted(r.code for r in report.new_breaches) == sorted(codes)
    assert breach_count(desk) == 7


def test_concurrent_checks_record_each_breach_once(desk: Desk) -> None:
    for _ in range(20):
        new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    results: list[slacheck.SlaReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(check(desk, sh(2026, 11, 25, 11)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert breach_count(desk) == 40
    assert sum(len(r.new_breaches) for r in results) == 40
    assert sum(len(r.escalated) for r in results) == 20


def test_only_admins_and_supervisors_run_the_check(desk: Desk) -> None:
    with pytest.raises(PermissionDenied, match="may not run the SLA check"):
        check(desk, sh(2026, 11, 24, 11), who="alice")
    assert check(desk, sh(2026, 11, 24, 11), who="sue").breached == []


def test_as_of_in_the_future_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        slacheck.check_sla(
            engine=desk.engine,
            actor=desk.user("admin"),
            now=sh(2026, 11, 24, 11),
            as_of=sh(2026, 11, 25, 11),
        )


# -- auto-close after the confirmation window -----------------------------------------------


def resolved_case(desk: Desk, at: datetime) -> str:
    code = new_case(desk, at, **P2_TRIAGED)
    move(desk, code, "claim", "alice", at + timedelta(minutes=1))
    move(desk, code, "propose", "alice", at + timedelta(minutes=20), resolution="apology")
    return code


def test_resolved_case_closes_when_the_confirmation_window_passes(desk: Desk) -> None:
    # Resolved Wed 30 Sep 10:20; the 3wd window ends Sat 10 Oct 18:00 (make-up day).
    code = resolved_case(desk, sh(2026, 9, 30, 10))
    confirmed = resolved_case(desk, sh(2026, 9, 30, 10))
    move(desk, confirmed, "confirm", "alice", sh(2026, 10, 8, 10), satisfied="yes")
    assert check(desk, sh(2026, 10, 10, 17, 59)).auto_closed == []
    assert load(desk, code).status == "resolved"
    report = check(desk, sh(2026, 10, 10, 18))
    assert [a.code for a in report.auto_closed] == [code]
    case = load(desk, code)
    assert (case.status, case.close_reason, case.satisfied) == ("closed", "no_answer", None)
    assert local(case.closed_at) == sh(2026, 10, 10, 18)
    last = events(desk, code)[-1]
    assert (last.actor, last.action, last.from_status, last.to_status) == (
        "kefu",
        "close",
        "resolved",
        "closed",
    )
    closed = report.as_dict()["auto_closed"][0]
    assert closed["window_ended"] == "2026-10-10T18:00:00+08:00"
    # The revisit is scheduled like a confirmed close: 2wd → Mon 12, Tue 13 Oct.
    assert closed["revisit_due"] == "2026-10-13T09:00:00+08:00"
    with desk.read() as session:
        revisits = session.exec(select(Revisit).where(Revisit.case_id == case.id)).all()
    assert [(r.status, local(r.due_at)) for r in revisits] == [("scheduled", sh(2026, 10, 13, 9))]
    assert check(desk, sh(2026, 10, 12, 9)).auto_closed == []  # re-run: no-op
    assert load(desk, confirmed).close_reason == "confirmed"


# -- repeat complaints -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("later", "key", "linked"),
    [
        (timedelta(days=3), "phone", True),
        (timedelta(days=3), "order", True),
        (timedelta(days=29, hours=23), "phone", True),
        (timedelta(days=30), "order", True),  # the window's last instant still counts
        (timedelta(days=30, minutes=1), "phone", False),
        (timedelta(days=45), "order", False),
    ],
)
def test_repeat_complaint_linked_on_intake_within_the_window(
    desk: Desk, later: timedelta, key: str, linked: bool
) -> None:
    first_at = sh(2026, 10, 20, 10)
    first = new_case(desk, first_at, customer_phone="13800001111", order_no="SF1234567890")
    other = {"phone": {"customer_phone": "138 0000 1111"}, "order": {"order_no": "SF1234567890"}}
    second = new_case(desk, first_at + later, **other[key])
    case = load(desk, second)
    with desk.read() as session:
        links = lifecycle.case_links(session, case)
    if linked:
        assert case.repeat_of == first
        assert links == [("repeat", first)]
        link_event = events(desk, second)[-1]
        assert (link_event.actor, link_event.action) == ("kefu", "link")
    else:
        assert case.repeat_of is None
        assert links == []


def test_an_earlier_complaint_entered_later_makes_the_newer_one_its_repeat(desk: Desk) -> None:
    """Which cases are repeats does not depend on the order they were entered in: the newer
    one, stored first, is linked back when the older one is entered (backdated)."""
    newer = new_case(desk, sh(2026, 11, 20, 10), customer_phone="13900002222")
    older = new_case(desk, sh(2026, 11, 10, 10), customer_phone="13900002222")
    assert load(desk, older).repeat_of is None
    assert load(desk, newer).repeat_of == older
    with desk.read() as session:
        assert session.exec(select(func.count()).select_from(CaseLink)).one() == 1
        events = lifecycle.case_events(session, lifecycle.get_case(session, newer))
        assert events[-1].action == "link" and events[-1].changes == {"repeat_of": [None, older]}


# -- the searches use indexes ------------------------------------------------------------------


EXPECTED_INDEX = {
    "first_response": "ix_cases_first_response_due",
    "resolution": "ix_cases_open_status",
    "coordination": "ix_cases_coordination_due",
    "confirmation window": "ix_cases_status_resolved",
}


def test_open_case_queries_use_indexes_and_never_scan_cases(desk: Desk) -> None:
    for i in range(30):
        new_case(desk, sh(2026, 11, 24, 10) + timedelta(minutes=i), **P2_TRIAGED)
    as_of = sh(2026, 11, 26, 10)
    with desk.engine.connect() as conn:
        for name, query in slacheck.open_case_queries(as_of).items():
            compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
            params = tuple(str(compiled.params[name]) for name in compiled.positiontup or ())
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).fetchall()
            details = [row[-1] for row in plan]
            on_cases = [d for d in details if " cases" in f" {d} ".replace("(", " ")]
            assert on_cases, (name, details)
            assert not any(d.startswith("SCAN cases") for d in details), (name, details)
            if name.endswith("statutory"):  # the open duties' records, then each one's case
                assert any(
                    d.startswith("SEARCH deadlines USING INDEX ix_deadlines_open ") for d in details
                ), details
                assert any("cases USING INTEGER PRIMARY KEY" in d for d in on_cases), details
                continue
            index = next(ix for key, ix in EXPECTED_INDEX.items() if name.endswith(key))
            assert any(f"USING INDEX {index} " in d for d in on_cases), (name, details)
            if name.startswith("new breaches"):
                assert any(d.startswith("SEARCH breaches USING") for d in details), details


# -- the CLI ---------------------------------------------------------------------------------


def test_cli_national_day_example_end_to_end(cli_desk: Desk) -> None:
    with freeze_time(sh(2026, 9, 30, 10)):
        result = run(
            cli_desk,
            "case",
            "new",
            "--channel",
            "hotline",
            "-d",
            "包裹破损",
            "--severity",
            "P3",
            "--phone",
            "13800001111",
        )
        assert result.exit_code == 0, result.output
        code = result.stdout.strip()
        result = run(cli_desk, "case", "show", code, "--json")
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
    assert shown["due"]["resolution"]["due"] == "2026-10-10T18:00:00+08:00"
    assert shown["received_at"] == "2026-09-30T10:00:00+08:00"
    with freeze_time(sh(2026, 9, 30, 10, 30)):
        assert run(cli_desk, "case", "note", code, "已致电", "--contact", "call").exit_code == 0
    with freeze_time(sh(2026, 10, 8, 9)):
        result = run(cli_desk, "sla", "check", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["breached"] == []
    with freeze_time(sh(2026, 10, 10, 11)):
        result = run(cli_desk, "sla", "check", "--json")
    assert result.exit_code == 0, result.output
    assert [r["code"] for r in json.loads(result.stdout)["at_risk"]] == [code]
    with freeze_time(sh(2026, 10, 11, 9)):  # Sunday morning after the make-up Saturday
        result = run(cli_desk, "sla", "check", "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert set(document) == {
        "as_of",
        "breached",
        "new_breaches",
        "escalated",
        "auto_closed",
        "at_risk",
        "waiting",
    }
    assert document["as_of"] == "2026-10-11T09:00:00+08:00"
    [row] = document["breached"]
    assert (row["code"], row["clock"], row["due"], row["overdue_minutes"]) == (
        code,
        "resolution",
        "2026-10-10T18:00:00+08:00",
        900.0,
    )
    assert [e["code"] for e in document["escalated"]] == [code]
    with freeze_time(sh(2026, 10, 11, 9, 5)):
        again = run(cli_desk, "sla", "check", "--json")
    assert json.loads(again.stdout)["new_breaches"] == []


def test_cli_table_and_exit_codes(cli_desk: Desk) -> None:
    with freeze_time(sh(2026, 11, 24, 10)):
        result = run(cli_desk, "sla", "check")
    assert result.exit_code == 0, result.output
    assert "0 case(s) breached" in result.stderr
    code = new_case(cli_desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    with freeze_time(sh(2026, 11, 24, 12, 15)):
        result = run(cli_desk, "sla", "check")
    assert result.exit_code == 1, result.output
    assert code in result.stdout
    assert "first_response" in result.stdout
    assert "2026-11-24 10:30" in result.stdout
    assert "1h45m" in result.stdout  # overdue by
    assert "1 new breach(es) recorded" in result.stderr
    with freeze_time(sh(2026, 11, 24, 12, 16)):
        result = run(cli_desk, "sla", "check", "--as-of", "2026-11-24T10:29")
    assert result.exit_code == 0, result.output
    with freeze_time(sh(2026, 11, 24, 12, 16)):
        result = run(cli_desk, "sla", "check", "--as-of", "2026-12-01T10:00")
    assert result.exit_code == 2
    assert "in the future" in result.stderr
    assert "Traceback" not in result.output


def test_cli_refuses_an_agent(cli_desk: Desk) -> None:
    with freeze_time(sh(2026, 11, 24, 10)):
        result = run(cli_desk, "--as", "alice", "sla", "check")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "kefu: an agent may not run the SLA check (roles allowed: admin, supervisor)"
    )


def test_sla_and_revisit_commands_document_an_example() -> None:
    for args in (["sla", "check"], ["revisit", "schedule"], ["revisit", "due"]):
        result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "Example: " in result.stdout


# -- kefu doctor: calendar coverage -------------------------------------------------------------


def test_doctor_lists_2027_as_not_covered(cli_desk: Desk) -> None:
    # In November 2026 next year's holidays are not published yet: a warning, not a failure.
    with freeze_time(sh(2026, 11, 24, 10)):
        result = run(cli_desk, "doctor", "--json")
    assert result.exit_code == 0, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["calendar"]["ok"] is True and checks["calendar"]["warning"] is True
    assert "2004–2026" in checks["calendar"]["detail"]
    assert "not yet for 2027" in checks["calendar"]["detail"]
    assert checks["schema"]["ok"] is True
    with freeze_time(sh(2026, 11, 24, 10)):
        table = run(cli_desk, "doctor")
    assert "??  calendar" in table.stdout
    assert "2027" in table.stdout
    # Once 2027 has begun without data, deadlines are guessed: that fails.
    with freeze_time(sh(2027, 1, 5, 10)):
        late = run(cli_desk, "doctor", "--json")
    assert late.exit_code == 1, late.output
    checks = {c["name"]: c for c in json.loads(late.stdout)["checks"]}
    assert checks["calendar"]["ok"] is False
    assert "NOT for 2027" in checks["calendar"]["detail"]


def test_doctor_is_content_with_a_weekday_calendar(tmp_path: Path) -> None:
    profile = tmp_path / "weekdays.toml"
    profile.write_text(
        MINI_PROFILE.read_text(encoding="utf-8").replace('kind = "cn"', 'kind = "weekdays"'),
        encoding="utf-8",
    )
    desk = make_desk(tmp_path / "kefu.db", profile=profile)
    with freeze_time(sh(2026, 11, 24, 10)):
        result = CliRunner().invoke(app, ["--db", str(desk.path), "doctor", "--json"])
    desk.engine.dispose()
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["calendar"]["ok"] is True, checks["calendar"]


def test_stored_deadline_rows_are_sortable(desk: Desk) -> None:
    """Deadlines are stored columns: the most urgent open case is a plain ORDER BY away."""
    late = new_case(desk, sh(2026, 11, 24, 10), severity="P3")
    soon = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    with desk.read() as session:
        order = session.exec(select(Case.code).order_by(col(Case.due_resolution), col(Case.id))).all()
    assert order == [soon, late]


def test_first_response_given_during_a_pause_keeps_its_deadline(desk: Desk) -> None:
    code = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)  # first response due 10:30
    move(desk, code, "claim", "alice", sh(2026, 11, 24, 10, 1))
    move(desk, code, "wait", "alice", sh(2026, 11, 24, 10, 10), note="等客户")
    contact(desk, code, "alice", sh(2026, 11, 24, 10, 20))  # answered while waiting
    move(desk, code, "resume", "alice", sh(2026, 11, 24, 11))
    case = load(desk, code)
    assert local(case.due_first_response) == sh(2026, 11, 24, 10, 30)
    # Resolution (8bh, due Wed 10:00) moves by the 50 business minutes paused.
    assert local(case.due_resolution) == sh(2026, 11, 25, 10, 50)
    assert_recomputable(desk, code, sh(2026, 11, 24, 11))


def test_a_pause_before_escalation_does_not_move_coordination(desk: Desk) -> None:
    code = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED)
    move(desk, code, "claim", "alice", sh(2026, 11, 24, 10, 5))
    move(desk, code, "wait", "alice", sh(2026, 11, 24, 10, 10), note="等客户")
    move(desk, code, "resume", "alice", sh(2026, 11, 24, 10, 20))
    case = move(desk, code, "escalate", "alice", sh(2026, 11, 24, 11), note="需要站点经理")
    assert local(case.due_coordination) == sh(2026, 11, 24, 16)  # 4bh from 11:00
    assert_recomputable(desk, code, sh(2026, 11, 24, 11))


def test_doctor_checks_the_calendar_of_every_policy_revision(cli_desk: Desk) -> None:
    weekdays = MINI_PROFILE.read_text(encoding="utf-8").replace('kind = "cn"', 'kind = "weekdays"')
    with cli_desk.write() as session:
        services.apply_policy(
            session=session,
            actor=cli_desk.user("admin"),
            text=weekdays,
            origin="weekdays.toml",
            now=sh(2026, 11, 24, 9),
        )
    with freeze_time(sh(2026, 11, 24, 10)):
        result = run(cli_desk, "doctor", "--json")
    calendars = [c for c in json.loads(result.stdout)["checks"] if c["name"] == "calendar"]
    assert [(c["ok"], c.get("warning"), c["detail"].split(" has ")[0]) for c in calendars] == [
        (True, True, "cn calendar (policy revision 1)"),
        (True, False, "weekdays calendar (policy revision 2)"),
    ]
    assert result.exit_code == 0


def test_reopen_restarts_the_resolution_clock(desk: Desk) -> None:
    # Received Tue 24 Nov 10:00; 8bh resolution → Wed 10:00. Resolved Tue 11:00, then the
    # customer calls back unsatisfied on Thu 10:00, a day after the original deadline.
    code = new_case(desk, sh(2026, 11, 24, 10), **P2_TRIAGED, complexity="simple")
    move(desk, code, "claim", "alice", sh(2026, 11, 24, 10, 5))
    move(desk, code, "propose", "alice", sh(2026, 11, 24, 11), resolution="apology")
    assert local(load(desk, code).due_resolution) == sh(2026, 11, 25, 10)
    reopened = move(desk, code, "reopen", "alice", sh(2026, 11, 26, 10), note="客户仍未收到")
    # 8bh from Thu 10:00: 10-12 and 13-18 on Thursday (7h), then Fri 09:00-10:00.
    assert local(reopened.due_resolution) == sh(2026, 11, 27, 10)
    assert_recomputable(desk, code, sh(2026, 11, 26, 10))
    report = check(desk, sh(2026, 11, 26, 12))
    assert code not in {b.code for b in report.new_breaches}
    assert breach_count(desk) == 0


def test_calendar_coverage_warning_is_one_sentence() -> None:
    """The CLI shows it as `kefu: warning: <message>`: one sentence, no source line in it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        WorkCalendar().is_workday(sh(2031, 6, 2).date())
    (warning,) = [w for w in caught if issubclass(w.category, CalendarCoverageWarning)]
    message = str(warning.message)
    assert message.startswith("the cn calendar has no official holiday data for 2031 (")
    assert "\n" not in message and ". " not in message and not message.endswith(".")
    assert "Monday to Friday count as working days in 2031" in message
