"""Deadlines as records (kefu.core.deadlines): every clock a case ran is a row that a later
move never rewrites, and the KPIs count every instance that fell due — so a reopen, an
unsatisfied confirmation or an unsatisfied revisit cannot turn a late resolution on time.

The scenario is the one reported on the express desk: a P3 complaint received Tue 3 Nov 2026
09:00 is due Wed 4 Nov 18:00 (1wd); it is proposed late on Thu 5 Nov; the customer sends it back
and it is settled on time against the new deadline (Fri 6 Nov 18:00).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from conftest import Desk, make_desk
from conftest import cli_run as run
from freezegun import freeze_time
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from kefu.core import db as kdb
from kefu.core import deadlines, importer, intake, lifecycle, services
from kefu.core.identity import os_login
from kefu.core.models import Case, Deadline
from kefu.core.policy import bundled_profiles_dir

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def express(tmp_path: Path) -> Iterator[Desk]:
    desk = make_desk(tmp_path / "kefu.db", bundled_profiles_dir() / "express.toml", now=sh(2026, 11, 1, 9))
    with desk.write() as session:
        services.add_user(
            session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=sh(2026, 11, 1, 9)
        )
    yield desk
    desk.engine.dispose()


def at(desk: Desk, when: datetime, *args: str) -> str:
    with freeze_time(when):
        result = run(desk, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def late_then_sent_back(desk: Desk) -> str:
    """Received Tue 3 Nov 09:00, P3 (1wd: due Wed 4 Nov 18:00), proposed late Thu 5 Nov."""
    out = at(desk, sh(2026, 11, 3, 9), "--as", "alice", "case", "new", "--channel", "hotline",
             "--phone", "13800001111", "-d", "快递三天没更新", "--category", "delay",
             "--party", "courier", "--department", "cs", "--severity", "P3", "--json")  # fmt: skip
    code = json.loads(out)["code"]
    at(desk, sh(2026, 11, 3, 9, 30), "--as", "alice", "case", "move", code, "claim")
    at(desk, sh(2026, 11, 5, 10), "--as", "alice", "case", "move", code, "propose", "--resolution", "apology")
    return code


def settle(desk: Desk, code: str, when: datetime) -> None:
    at(desk, when, "--as", "alice", "case", "move", code, "propose", "--resolution", "apology")
    at(desk, when.replace(minute=30), "--as", "alice", "case", "move", code, "confirm", "--satisfied", "yes")


def kpis(desk: Desk) -> tuple[dict[str, object], list[dict[str, object]]]:
    with freeze_time(sh(2026, 11, 30, 12)):
        total = run(desk, "--as", "ana", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
        cases = run(desk, "--as", "ana", "report", "--by", "case", "--from", "2026-11-01",
                    "--to", "2026-11-30", "--json")  # fmt: skip
    assert total.exit_code == 0 and cases.exit_code == 0, total.output + cases.output
    return json.loads(total.stdout)["total"]["on_time"], json.loads(cases.stdout)["cases"]


def resolution_rows(desk: Desk, code: str) -> list[tuple[int, datetime, datetime | None, str | None]]:
    with desk.read() as session:
        rows = deadlines.case_rows(session, lifecycle.get_case(session, code).id)
        return [
            (r.instance, r.due_at.astimezone(SH), r.met_at and r.met_at.astimezone(SH), r.end_reason)
            for r in rows
            if r.clock == "resolution"
        ]


def test_an_unsatisfied_confirmation_does_not_launder_a_late_resolution(express: Desk) -> None:
    code = late_then_sent_back(express)
    at(express, sh(2026, 11, 5, 11), "--as", "alice", "case", "move", code, "confirm", "--satisfied", "no")
    settle(express, code, sh(2026, 11, 6, 10))
    assert resolution_rows(express, code) == [
        (1, sh(2026, 11, 4, 18), sh(2026, 11, 5, 10), "replaced"),
        (2, sh(2026, 11, 6, 18), sh(2026, 11, 6, 10), None),
    ]
    on_time, [row] = kpis(express)
    assert on_time == {"numerator": 1, "denominator": 2, "percent": 50.0}
    assert (row["code"], row["on_time"]) == (code, False)


def test_a_reopen_does_not_launder_a_late_resolution(express: Desk) -> None:
    code = late_then_sent_back(express)
    at(express, sh(2026, 11, 5, 11), "--as", "alice", "case", "move", code, "confirm", "--satisfied", "yes")
    at(express, sh(2026, 11, 9, 10), "--as", "sue", "case", "move", code, "reopen", "--note", "客户再次来电")
    settle(express, code, sh(2026, 11, 9, 15))
    on_time, [row] = kpis(express)
    assert on_time == {"numerator": 1, "denominator": 2, "percent": 50.0}
    assert row["on_time"] is False and row["reopen_count"] == 1


def test_an_unsatisfied_revisit_does_not_launder_a_late_resolution(express: Desk) -> None:
    code = late_then_sent_back(express)
    at(express, sh(2026, 11, 5, 11), "--as", "alice", "case", "move", code, "confirm", "--satisfied", "yes")
    at(express, sh(2026, 11, 9, 10), "revisit", "schedule")  # 2wd after Thu 5 Nov: Mon 9 Nov
    at(express, sh(2026, 11, 9, 10, 5), "--as", "bob", "case", "move", code, "revisit",
       "--outcome", "unsatisfied", "--note", "还是没收到")  # fmt: skip
    settle(express, code, sh(2026, 11, 10, 10))
    on_time, [row] = kpis(express)
    assert on_time == {"numerator": 1, "denominator": 2, "percent": 50.0}
    assert row["on_time"] is False


def test_on_time_twice_counts_twice_on_time(express: Desk) -> None:
    out = at(express, sh(2026, 11, 3, 9), "--as", "alice", "case", "new", "--channel", "hotline",
             "-d", "x", "--category", "delay", "--party", "courier", "--department", "cs",
             "--severity", "P3", "--json")  # fmt: skip
    code = json.loads(out)["code"]
    at(express, sh(2026, 11, 3, 9, 30), "--as", "alice", "case", "move", code, "claim")
    at(
        express,
        sh(2026, 11, 3, 10),
        "--as",
        "alice",
        "case",
        "move",
        code,
        "propose",
        "--resolution",
        "apology",
    )
    at(express, sh(2026, 11, 3, 11), "--as", "alice", "case", "move", code, "confirm", "--satisfied", "no")
    settle(express, code, sh(2026, 11, 4, 10))
    on_time, [row] = kpis(express)
    assert on_time == {"numerator": 2, "denominator": 2, "percent": 100.0}
    assert row["on_time"] is True


# -- the record itself -----------------------------------------------------------------------


def move(desk: Desk, code: str, action: str, who: str, when: datetime, **fields: object) -> None:
    with desk.write() as session:
        lifecycle.move_case(
            session=session, code=code, action=action, actor=desk.user(who), now=when, **fields
        )


def new_case(desk: Desk, when: datetime, **fields: object) -> str:
    with desk.write() as session:
        return intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=when,
            channel="hotline",
            description="x",
            received_at=when,
            **{"category": "delay", "party": "courier", "department": "cs", **fields},  # type: ignore[arg-type]
        ).code


def walks(desk: Desk) -> list[str]:
    """Cases that went through what the records must remember: a late resolution sent back,
    an escalation picked up again, a rejection, a reopen after closing, one still open, one
    picked up after an escalation and now waiting for the customer."""
    day = sh(2026, 11, 24, 10)
    sent_back = new_case(desk, day, severity="P2")
    move(desk, sent_back, "claim", "alice", day)
    move(desk, sent_back, "propose", "alice", sh(2026, 11, 26, 10), resolution="apology")
    move(desk, sent_back, "confirm", "alice", sh(2026, 11, 26, 11), satisfied="no")
    move(desk, sent_back, "propose", "alice", sh(2026, 11, 26, 15), resolution="apology")
    escalated = new_case(desk, day, severity="P2")
    move(desk, escalated, "claim", "alice", day)
    move(desk, escalated, "escalate", "alice", sh(2026, 11, 24, 11), note="需要协调")
    move(desk, escalated, "claim", "hank", sh(2026, 11, 24, 14))
    rejected = new_case(desk, day, severity="P3")
    move(desk, rejected, "reject", "carol", sh(2026, 11, 24, 11), reason="spam")
    reopened = new_case(desk, day, severity="P3")
    move(desk, reopened, "claim", "alice", day)
    move(desk, reopened, "propose", "alice", sh(2026, 11, 24, 12), resolution="apology")
    move(desk, reopened, "confirm", "alice", sh(2026, 11, 24, 13), satisfied="yes")
    move(desk, reopened, "reopen", "sue", sh(2026, 11, 30, 10), note="又来电")
    return [sent_back, escalated, rejected, reopened, new_case(desk, day, severity="P1"), waiting(desk)]


def waiting(desk: Desk) -> str:
    """P2 received Tue 24 Nov 10:00 (resolution 8bh: Wed 25 Nov 10:00), escalated at 11:00
    (coordination 4bh: 16:00), picked up at 14:00, waiting for the customer from 15:00."""
    code = new_case(desk, sh(2026, 11, 24, 10), severity="P2")
    move(desk, code, "claim", "alice", sh(2026, 11, 24, 10))
    move(desk, code, "escalate", "alice", sh(2026, 11, 24, 11), note="需要协调")
    move(desk, code, "claim", "hank", sh(2026, 11, 24, 14))
    move(desk, code, "wait", "hank", sh(2026, 11, 24, 15), note="等客户补充单号")
    return code


def records(desk: Desk, codes: list[str]) -> dict[str, list[tuple[object, ...]]]:
    with desk.read() as session:
        return {
            code: [
                (r.clock, r.instance, r.target, r.started_at, r.due_at, r.met_at, r.ended_at is not None)
                + ((r.paused_at,) if r.paused_at else ())
                for r in deadlines.case_rows(session, lifecycle.get_case(session, code).id)
            ]
            for code in codes
        }


def test_a_reopen_starts_a_new_instance_and_keeps_the_old_one(desk: Desk) -> None:
    codes = walks(desk)
    got = records(desk, codes)
    sent_back = [r for r in got[codes[0]] if r[0] == "resolution"]
    # 8bh from Tue 24 Nov 10:00 (lunch 12-13): Wed 25 Nov 10:00; met Thu 26 Nov 10:00, late.
    assert sent_back[0][2:] == ("8bh", sh(2026, 11, 24, 10), sh(2026, 11, 25, 10), sh(2026, 11, 26, 10), True)
    assert sent_back[1][1:4] == (2, "8bh", sh(2026, 11, 26, 11))
    assert sent_back[1][5:] == (sh(2026, 11, 26, 15), False)
    coordination = [r for r in got[codes[1]] if r[0] == "coordination"]
    assert coordination == [
        ("coordination", 1, "4bh", sh(2026, 11, 24, 11), sh(2026, 11, 24, 16), sh(2026, 11, 24, 14), False)
    ]
    assert all(r[6] for r in got[codes[2]] if r[5] is None), "a rejection ends the clocks it stops"


def test_a_wait_stops_an_open_clock_and_leaves_a_met_one_alone(desk: Desk) -> None:
    code = waiting(desk)

    def rows() -> dict[str, Deadline]:
        with desk.read() as session:
            return {r.clock: r for r in deadlines.case_rows(session, lifecycle.get_case(session, code).id)}

    during = rows()
    assert during["resolution"].due_at == sh(2026, 11, 25, 10)
    assert during["resolution"].paused_at == sh(2026, 11, 24, 15)
    # Fri 27 Nov, still waiting: past the old due time, but a stopped clock has not run out.
    assert not deadlines.counts(during["resolution"], sh(2026, 11, 27, 12))
    move(desk, code, "resume", "hank", sh(2026, 11, 30, 10))
    after = rows()
    # 4 working hours were left (Tue 15-18, Wed 9-10): Mon 30 Nov 10-12 and 13-15.
    assert (after["resolution"].due_at, after["resolution"].paused_at) == (sh(2026, 11, 30, 15), None)
    assert not deadlines.counts(after["resolution"], sh(2026, 11, 30, 14))
    # Coordination was met at 14:00, before the wait: its due time stays, in the record and
    # in the case's column.
    assert (after["coordination"].due_at, after["coordination"].met_at) == (
        sh(2026, 11, 24, 16),
        sh(2026, 11, 24, 14),
    )
    with desk.read() as session:
        assert lifecycle.get_case(session, code).due_coordination == sh(2026, 11, 24, 16)


def test_the_sql_and_python_counting_rules_agree(desk: Desk) -> None:
    """`counts`/`on_time` (the case export, the invariants) and `counted_sql`/`on_time_sql`
    (the KPI passes) judge every record alike."""
    codes = walks(desk)
    table = Deadline.__table__  # type: ignore[attr-defined]
    with desk.read() as session:
        rows = session.exec(select(Deadline)).all()
        sql = {
            r.id: (bool(c), bool(o))
            for r in rows
            for c, o in [
                session.execute(
                    sa_select(deadlines.counted_sql(table), deadlines.on_time_sql(table)).where(
                        table.c.id == r.id
                    )
                ).one()
            ]
        }
        python = {r.id: (deadlines.counts(r, sh(2030, 1, 1)), deadlines.on_time(r)) for r in rows}
    assert len(rows) > 10 and len(codes) == 6
    assert sql == python
    assert {v for v in python.values()} >= {(True, True), (True, False)}


def test_an_import_writes_the_records_a_typed_in_case_gets(desk: Desk, tmp_path: Path) -> None:
    typed = new_case(desk, sh(2026, 11, 24, 10), severity="P1")
    source = tmp_path / "in.csv"
    source.write_text(
        "received_at,channel,description,category,party,department,severity\n"
        "2026-11-24T10:00:00+08:00,hotline,x,delay,courier,cs,P1\n",
        encoding="utf-8",
    )
    result = importer.import_file(
        engine=desk.engine,
        actor=desk.user("admin"),
        now=sh(2026, 11, 24, 10),
        options=importer.ImportOptions(path=source),
    )
    assert result.imported == 1, result.errors
    with desk.read() as session:
        imported = session.exec(select(Case.code).where(Case.code != typed)).one()
    got = records(desk, [typed, imported])
    assert got[typed] == got[imported] and len(got[typed]) == 3  # P1 escalates on intake


def ends(desk: Desk) -> list[tuple[object, ...]]:
    with desk.read() as session:
        return sorted(
            (r.clock, r.end_reason, r.ended_at, r.policy_version_id)
            for r in session.exec(select(Deadline).where(col(Deadline.ended_at).is_not(None)))
        )


def test_existing_desks_are_migrated_to_records(desk: Desk) -> None:
    """A desk written before records existed (0005) gets the rows kefu would have kept: the
    current instance of each clock and every resolution instance a reopen ended."""
    codes = walks(desk)
    kept, kept_ends = records(desk, codes), ends(desk)
    command.downgrade(kdb._alembic_config(desk.engine.execution_options(kefu_migrate=True)), "0005")
    desk.engine.dispose()
    engine = kdb.open_database(str(desk.path))  # migrates forward
    desk.engine = engine
    migrated = records(desk, codes)
    assert migrated == kept
    assert (
        ends(desk)
        == kept_ends
        == [
            ("first_response", "cancelled", sh(2026, 11, 24, 11), 1),
            ("resolution", "cancelled", sh(2026, 11, 24, 11), 1),
            ("resolution", "replaced", sh(2026, 11, 26, 11), 1),
            ("resolution", "replaced", sh(2026, 11, 30, 10), 1),
        ]
    )


# -- what a deadline rests on ---------------------------------------------------------------


def new_year_case(desk: Desk) -> str:
    """P2 received Wed 30 Dec 2026 10:00: 2wd reaches into 2027, a year without official data."""
    out = at(desk, sh(2026, 12, 30, 10), "--as", "alice", "case", "new", "--channel", "hotline",
             "-d", "年底包裹丢了", "--category", "delay", "--party", "courier",
             "--department", "cs", "--severity", "P2", "--json")  # fmt: skip
    return str(json.loads(out)["code"])


def test_a_deadline_on_an_assumed_year_says_so(express: Desk) -> None:
    code = new_year_case(express)
    shown = json.loads(at(express, sh(2026, 12, 30, 10, 30), "--as", "alice", "case", "show", code, "--json"))
    # Weekdays stand in for 2027: Thu 31 Dec, Fri 1 Jan (元旦 not known yet) -> Fri 1 Jan 18:00.
    assert shown["due"]["resolution"]["due"] == "2027-01-01T18:00:00+08:00"
    assert shown["due"]["resolution"]["assumed_years"] == [2027]
    assert shown["due"]["first_response"]["assumed_years"] == []
    records = {r["clock"]: r for r in shown["deadline_records"]}
    assert records["resolution"]["assumed_years"] == [2027]
    assert (records["resolution"]["target"], records["resolution"]["instance"]) == ("2wd", 1)
    assert records["first_response"]["state"] == "ok" and records["first_response"]["assumed_years"] == []
    text = at(express, sh(2026, 12, 30, 11), "--as", "alice", "--lang", "zh", "case", "show", code)
    line = next(x for x in text.splitlines() if "2027-01-01" in x)
    assert "2027年：尚无官方节假日安排" in line


def test_case_show_lists_the_instances_a_reopen_kept(express: Desk) -> None:
    code = late_then_sent_back(express)
    at(express, sh(2026, 11, 5, 11), "--as", "alice", "case", "move", code, "confirm", "--satisfied", "no")
    shown = json.loads(at(express, sh(2026, 11, 5, 12), "--as", "alice", "case", "show", code, "--json"))
    first, second = [r for r in shown["deadline_records"] if r["clock"] == "resolution"]
    assert (first["state"], first["end_reason"], first["met_at"]) == (
        "met_late",
        "replaced",
        "2026-11-05T10:00:00+08:00",
    )
    assert (second["instance"], second["state"], second["ended_at"]) == (2, "ok", None)
    text = at(express, sh(2026, 11, 5, 12), "--as", "alice", "--lang", "zh", "case", "show", code)
    assert "时限记录" in text and "逾期达成" in text and "已被新时限取代" in text
