"""KPI reports: each KPI on a hand-built dataset whose answers are worked out here,
empty periods, time-zone day boundaries, handling time in business minutes, CSV safety and
masking in exports, and the `kefu report` command."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import MINI_PROFILE, NOW, Desk
from sqlmodel import Session
from typer.testing import CliRunner

from kefu.cli import app
from kefu.core import intake, lifecycle, policies, reports
from kefu.core.errors import InvalidInput, PermissionDenied
from kefu.core.exports import csv_text, safe_cell
from kefu.core.models import Breach, Case, Payment

SHANGHAI = "Asia/Shanghai"
NOVEMBER = reports.make_period(date(2026, 11, 1), date(2026, 11, 30), SHANGHAI)
AS_OF = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
_codes = count(1)


def cn(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> datetime:
    """A Shanghai wall time in 2026 as an aware UTC datetime."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(SHANGHAI)).astimezone(UTC)


def add_case(session: Session, **fields: Any) -> Case:
    """A case written straight to the table (these tests are about arithmetic, not services)."""
    version, _ = policies.policy_in_force(session, NOW)
    received = fields.pop("received_at")
    values: dict[str, Any] = {
        "code": f"T-TEST-{next(_codes):05d}",
        "policy_version_id": version.id,
        "status": "in_progress",
        "channel": "hotline",
        "description": "test",
        "received_at": received,
        "created_by": "alice",
        "severity": "P3",
        "category": "delay",
        "party": "courier",
        "department": "cs",
        "owner": "alice",
        "updated_at": received,
        "due_first_response": received + timedelta(hours=2),
    }
    paid_at = fields.pop("paid_at", None)
    values.update(fields)
    case = Case(**values)
    session.add(case)
    session.flush()
    if case.compensation_amount:  # the ledger's row: paid when the case closed unless told
        assert case.id is not None
        when = paid_at or case.closed_at or received
        session.add(Payment(case_id=case.id, no=1, amount=case.compensation_amount,
                            kind=case.compensation_kind, status="paid", proposed_by="alice",
                            proposed_at=when, approved_by="alice", approved_at=when,
                            paid_at=when))  # fmt: skip
        session.flush()
    return case


def report(desk: Desk, by: str = "category", period: reports.Period = NOVEMBER,
           now: datetime = AS_OF, who: str = "ana") -> reports.Report:  # fmt: skip
    with desk.read() as session:
        return reports.kpi_report(session=session, actor=desk.user(who), period=period, by=by, now=now)


def group(result: reports.Report, key: str | None) -> reports.Metrics:
    return next(g.metrics for g in result.groups if g.key == key)


# -- periods ---------------------------------------------------------------------------------


def test_period_bounds_are_local_midnights(desk: Desk) -> None:
    with desk.read() as session:
        _, profile = policies.policy_in_force(session, NOW)
    day = reports.parse_period(profile, first="2026-11-30", last="2026-11-30", now=NOW)
    assert day.start == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    assert day.end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    month = reports.parse_period(profile, first="2026-11", last="2026-11", now=NOW)
    assert (month.first, month.last) == (date(2026, 11, 1), date(2026, 11, 30))
    default = reports.parse_period(profile, first=None, last=None, now=NOW)
    assert (default.first, default.last) == (date(2026, 11, 1), date(2026, 11, 24))
    only_to = reports.parse_period(profile, first=None, last="2026-02", now=NOW)
    assert (only_to.first, only_to.last) == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(InvalidInput, match="after --to"):
        reports.parse_period(profile, first="2026-11-25", last="2026-11-24", now=NOW)
    with pytest.raises(InvalidInput, match="not a date"):
        reports.parse_period(profile, first="yesterday", last=None, now=NOW)


def test_a_case_belongs_to_its_local_day_not_its_utc_day(desk: Desk) -> None:
    late_evening = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 30 Nov 23:30 in Shanghai
    after_midnight = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 1 Dec 00:30 in Shanghai
    with desk.write() as session:
        add_case(session, received_at=late_evening)
        add_case(session, received_at=after_midnight)
    december = reports.make_period(date(2026, 12, 1), date(2026, 12, 31), SHANGHAI)
    assert report(desk, period=NOVEMBER).total.volume == 1
    assert report(desk, period=december).total.volume == 1
    by_day = report(desk, by="day", period=NOVEMBER)
    assert group(by_day, "2026-11-30").volume == 1
    assert by_day.groups[-1].key == "2026-11-30" and len(by_day.groups) == 30
    assert group(report(desk, by="day", period=december), "2026-12-01").volume == 1


@pytest.mark.parametrize("unixepoch", [True, False], ids=["unixepoch", "strftime"])
def test_days_follow_daylight_saving_time(
    desk: Desk, unixepoch: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New York leaves summer time at 06:00 UTC on 1 Nov 2026 (also on SQLite < 3.38)."""
    monkeypatch.setattr(reports, "_HAS_UNIXEPOCH", unixepoch and reports._HAS_UNIXEPOCH)
    with desk.write() as session:
        for at in (datetime(2026, 11, 1, 3, 30, tzinfo=UTC),  # 31 Oct 23:30 EDT
                   datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 1 Nov 01:30 EDT
                   datetime(2026, 11, 2, 4, 30, tzinfo=UTC)):  # 1 Nov 23:30 EST  # fmt: skip
            add_case(session, received_at=at)
    period = reports.make_period(date(2026, 10, 31), date(2026, 11, 2), "America/New_York")
    by_day = report(desk, by="day", period=period)
    assert [(g.key, g.metrics.volume) for g in by_day.groups] == [
        ("2026-10-31", 1), ("2026-11-01", 2), ("2026-11-02", 0),
    ]  # fmt: skip


def test_day_keys_follow_daylight_saving_time() -> None:
    """In New York the offset changes on 1 Nov 2026; local days still start at local midnight."""
    segments = reports._offset_segments(
        "America/New_York",
        datetime(2026, 10, 31, 4, 0, tzinfo=UTC),
        datetime(2026, 11, 3, 5, 0, tzinfo=UTC),
    )
    assert segments == [
        (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), -240),
        (datetime(2026, 11, 3, 5, 0, tzinfo=UTC), -300),
    ]


# -- the KPIs on a hand-built month ------------------------------------------------------------


def build_november(desk: Desk) -> dict[str, str]:
    """Seven cases around November 2026 (report as of 5 Dec); the expected figures are in
    test_each_kpi_on_a_hand_built_month."""
    with desk.write() as session:
        a = add_case(  # delay: resolved on time, answered satisfied, 60 business minutes
            session,
            received_at=cn(2),
            due_resolution=cn(5, 18),
            resolved_at=cn(4),
            closed_at=cn(4, 12),
            status="closed",
            close_reason="confirmed",
            satisfied=True,
            first_response_at=cn(2, 10, 30),
            handling_business_minutes=60,
        )
        b = add_case(  # delay: resolved late, first response late, unsatisfied, reopened once
            session,
            received_at=cn(3),
            due_resolution=cn(6, 18),
            resolved_at=cn(8),
            first_response_at=cn(3, 13),
            satisfied=False,
            reopen_count=1,
            status="resolved",
            handling_business_minutes=300,
            owner="bob",
        )
        c = add_case(  # delay: still open after its deadline; a repeat of a
            session,
            received_at=cn(10),
            due_resolution=cn(12, 18),
            first_response_at=cn(10, 11),
            repeat_of=a.code,
        )
        d = add_case(  # damage: closed with 100 cash; deadline in December
            session,
            category="damage",
            received_at=cn(20),
            due_resolution=cn(10, 18, month=12),
            resolved_at=cn(21),
            closed_at=cn(22),
            status="closed",
            close_reason="confirmed",
            satisfied=True,
            first_response_at=cn(20, 10, 5),
            handling_business_minutes=30,
            compensation_amount=100.0,
            compensation_kind="cash",
        )
        e = add_case(  # damage: received in October, due and compensated (50) in November
            session,
            category="damage",
            received_at=cn(30, month=10),
            due_resolution=cn(2, 18),
            resolved_at=cn(31, month=10),
            closed_at=cn(1),
            status="closed",
            close_reason="confirmed",
            satisfied=True,
            first_response_at=cn(30, 10, 10, month=10),
            handling_business_minutes=120,
            compensation_amount=50.0,
            compensation_kind="cash",
        )
        add_case(  # damage: rejected as spam; counted in volume only
            session,
            category="damage",
            received_at=cn(15),
            due_resolution=cn(18, 18),
            closed_at=cn(15, 11),
            status="closed",
            close_reason="spam",
        )
        add_case(  # delay: its deadline (3 Dec) is outside November
            session,
            received_at=cn(28),
            due_resolution=cn(3, 18, month=12),
            first_response_at=cn(28, 10, 20),
        )
        for case, kind, due in [(b, "resolution", b.due_resolution),
                                (c, "resolution", c.due_resolution),
                                (b, "first_response", b.due_first_response),
                                (d, "resolution", cn(3, 18, month=12))]:  # fmt: skip
            assert case.id is not None and due is not None
            session.add(Breach(case_id=case.id, kind=kind, due_at=due, recorded_at=due,
                               department=case.department))  # fmt: skip
    return {"a": a.code, "b": b.code, "c": c.code, "d": d.code, "e": e.code}


def test_each_kpi_on_a_hand_built_month(desk: Desk) -> None:
    build_november(desk)
    total = report(desk).total
    # Received in November: a, b, c, d, spam, late = 6.
    assert total.volume == 6
    # Resolution deadlines in November: a (met), b (late), c (open, passed), e (met);
    # the spam case is left out, d and "late" fall due in December.
    assert (total.on_time.numerator, total.on_time.denominator) == (2, 4)
    assert total.on_time.percent == 50.0
    # Satisfaction answers among cases received in November: a yes, b no, d yes.
    assert (total.satisfaction.numerator, total.satisfaction.denominator) == (2, 3)
    assert total.satisfaction.percent == 66.7
    # Repeats: c of the 6 received.
    assert (total.repeat.numerator, total.repeat.denominator) == (1, 6)
    # First-response deadlines (receipt + 2 h) in November: a, b, c, d, late; b was late.
    assert (total.first_response.numerator, total.first_response.denominator) == (4, 5)
    # Resolved at least once among November's cases: a, b, d; b was reopened.
    assert (total.reopen.numerator, total.reopen.denominator) == (1, 3)
    # Resolved in November: a 60, b 300, d 30 (e was resolved in October).
    assert total.resolved == 3
    assert total.handling_average == 130.0
    assert total.handling_p90 == 300  # nearest rank: ceil(0.9 * 3) = 3rd of 30, 60, 300
    # Closed in November with compensation: d 100 cash, e 50 cash.
    assert total.compensation == {"cash": (150.0, 2)}
    # Breaches due in November: b resolution, c resolution, b first response.
    assert total.breaches == {"first_response": 1, "resolution": 2, "coordination": 0}


def test_kpis_by_group(desk: Desk) -> None:
    build_november(desk)
    by_category = report(desk)
    assert [g.key for g in by_category.groups] == ["delay", "damage"]
    delay, damage = group(by_category, "delay"), group(by_category, "damage")
    assert delay.volume == 4 and damage.volume == 2
    assert (delay.on_time.numerator, delay.on_time.denominator) == (1, 3)
    assert (damage.on_time.numerator, damage.on_time.denominator) == (1, 1)
    assert delay.breaches["resolution"] == 2 and damage.breaches_total == 0
    assert damage.compensation == {"cash": (150.0, 2)}
    by_agent = report(desk, by="agent")
    assert [g.key for g in by_agent.groups] == ["alice", "bob"]
    assert group(by_agent, "bob").volume == 1 and group(by_agent, "bob").on_time.denominator == 1
    by_day = report(desk, by="day")
    assert group(by_day, "2026-11-02").on_time.denominator == 1  # e's deadline, 2 Nov
    assert group(by_day, "2026-11-06").on_time.numerator == 0  # b's deadline, 6 Nov
    assert group(by_day, "2026-11-01").compensation == {"cash": (50.0, 1)}  # e closed 1 Nov
    assert group(by_day, "2026-11-08").resolved == 1  # b resolved 8 Nov
    # The total is the same whichever way the month is cut.
    for cut in (by_agent, by_day, report(desk, by="channel"), report(desk, by="department"),
                report(desk, by="party")):  # fmt: skip
        assert cut.total == by_category.total


def test_deadlines_count_only_once_they_have_passed(desk: Desk) -> None:
    build_november(desk)
    mid_month = datetime(2026, 11, 7, 2, 0, tzinfo=UTC)  # 7 Nov 10:00
    total = report(desk, now=mid_month).total
    # By 7 Nov only e (2 Nov, met), a (5 Nov, met) and b (6 Nov, missed) had fallen due.
    assert (total.on_time.numerator, total.on_time.denominator) == (2, 3)


def test_empty_period_gives_no_rates_and_no_division_error(desk: Desk) -> None:
    result = report(desk, by="day")
    assert len(result.groups) == 30
    total = result.total
    assert total.volume == 0 and total.handling_average is None and total.handling_p90 is None
    for rate in (total.on_time, total.satisfaction, total.repeat, total.first_response,
                 total.reopen):  # fmt: skip
        assert rate.percent is None and rate.text() == "— (0/0)"
    document = json.loads(json.dumps(result.as_dict()))
    assert document["total"]["on_time"] == {"numerator": 0, "denominator": 0, "percent": None}
    assert document["total"]["compensation"] == {"total": 0.0, "cases": 0, "by_kind": {}}
    rows = list(csv.reader(io.StringIO(csv_text(result.csv_header(), result.csv_rows())[1:])))
    assert rows[-1][0] == "total" and rows[-1][3:6] == ["0", "0", ""]
    assert reports.report_table_rows(result)[-1][2] == "— (0/0)"
    # Every policy category is listed, with zeros.
    assert [g.key for g in report(desk).groups] == ["delay", "damage"]


def test_json_document_is_stable(desk: Desk) -> None:
    build_november(desk)
    document = report(desk).as_dict()
    assert list(document) == ["report", "format_version", "by", "period", "currency", "groups",
                              "total"]  # fmt: skip
    assert document["period"] == {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "timezone": "Asia/Shanghai",
        "start": "2026-11-01T00:00:00+08:00",
        "end": "2026-12-01T00:00:00+08:00",
        "as_of": "2026-12-05T10:00:00+08:00",
    }
    first = document["groups"][0]
    assert list(first) == ["key", "label", "volume", "on_time", "satisfaction", "repeat",
                           "first_response", "reopen", "statutory", "handling", "compensation",
                           "breaches"]  # fmt: skip
    assert first["label"] == "Delay"
    assert first["handling"] == {"resolved": 2, "measured": 2, "average_business_minutes": 180.0,
                                 "p90_business_minutes": 300}  # fmt: skip
    assert document["total"]["breaches"] == {"total": 3, "first_response": 1, "resolution": 2,
                                             "coordination": 0}  # fmt: skip


# -- handling time -----------------------------------------------------------------------------


def test_handling_time_is_stored_in_business_minutes_when_resolved(desk: Desk) -> None:
    alice = desk.user("alice")
    received = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # Tue 17:30 in Shanghai
    resolved = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # Wed 09:30: 30 + 30 business minutes
    with desk.write() as session:
        case = intake.create_case(
            session=session,
            actor=alice,
            now=received,
            channel="hotline",
            description="late",
            category="delay",
            party="courier",
            department="cs",
        )
        lifecycle.move_case(session=session, code=case.code, action="claim", actor=alice,
                           now=received)  # fmt: skip
        lifecycle.move_case(session=session, code=case.code, action="propose", actor=alice,
                           now=resolved, resolution="apology")  # fmt: skip
        code = case.code
    with desk.read() as session:
        assert lifecycle.get_case(session, code).handling_business_minutes == 60
    assert report(desk).total.handling_average == 60.0
    # A case resolved before the minutes were stored is measured on the fly, the same way.
    with desk.write() as session:
        lifecycle.get_case(session, code).handling_business_minutes = None
    total = report(desk).total
    assert (total.handling_average, total.handling_p90, total.resolved) == (60.0, 60, 1)


def test_p90_is_nearest_rank_and_exact_below_four_business_hours() -> None:
    from collections import Counter

    assert reports._p90(Counter(range(1, 11))) == 9
    assert reports._p90(Counter({5: 1})) == 5
    assert reports._p90(Counter()) is None
    assert [reports.histogram_bucket(m) for m in (0, 239, 240, 241, 255, 2879, 2880, 2881)] == [
        0, 239, 240, 255, 255, 2880, 2880, 2940,
    ]  # fmt: skip


def test_parallel_id_ranges_give_the_same_report(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    build_november(desk)
    single = report(desk, by="day")
    monkeypatch.setattr(reports, "PARALLEL_FROM", 0)
    monkeypatch.setattr(reports.os, "cpu_count", lambda: 3)
    with desk.read() as session:
        assert len(reports._id_ranges(session, "sqlite")) == 3
    assert report(desk, by="day") == single
    assert report(desk).total == single.total


# -- roles, masking, CSV safety ----------------------------------------------------------------


def test_kpis_per_agent_need_a_supervising_role(desk: Desk) -> None:
    build_november(desk)
    with pytest.raises(PermissionDenied, match="per agent"):
        report(desk, by="agent", who="alice")
    assert report(desk, who="alice").total.volume == 6
    assert report(desk, by="agent", who="sue").total.volume == 6
    with pytest.raises(InvalidInput, match="--by"):
        report(desk, by="colour")


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("快递=延误", "快递=延误"),
        ("plain", "plain"),
        (-5, -5),
        (12.5, 12.5),
        (None, ""),
        (True, "yes"),
    ],
)
def test_csv_cells_are_neutralised(value: Any, expected: Any) -> None:
    assert safe_cell(value) == expected


def test_case_export_masks_and_neutralises(desk: Desk) -> None:
    with desk.write() as session:
        add_case(session, received_at=cn(3), customer_name="=HYPERLINK(\"http://x\")",
                 customer_phone="13812345678", customer_email="wang@example.com",
                 order_no="-SF1")  # fmt: skip

    def rows(who: str, unmasked: bool = False) -> list[dict[str, Any]]:
        with desk.read() as session:
            return list(reports.case_rows(session=session, actor=desk.user(who), period=NOVEMBER,
                                          now=AS_OF, unmasked=unmasked))  # fmt: skip

    analyst = rows("ana")[0]
    assert analyst["customer_phone"] == "138****5678"
    assert analyst["customer_email"] == "w***@example.com"
    assert analyst["customer_name"].startswith("=") and "HYPERLINK" not in analyst["customer_name"]
    agent_default = rows("alice")[0]
    assert agent_default["customer_phone"] == "138****5678"  # masked by default, even for agents
    assert rows("alice", unmasked=True)[0]["customer_phone"] == "13812345678"
    for who in ("ana", "aud"):
        with pytest.raises(PermissionDenied, match="unmasked"):
            rows(who, unmasked=True)
    columns = reports.CASE_EXPORT_COLUMNS
    text = csv_text(columns, ([r[c] for c in columns] for r in rows("alice", unmasked=True)))
    assert text.startswith("\ufeffcode,")
    record = next(csv.DictReader(io.StringIO(text[1:])))
    assert record["customer_name"] == '\'=HYPERLINK("http://x")'
    assert record["order_no"] == "'-SF1"
    assert record["on_time"] == ""  # no deadline set on this hand-made case


# -- the command -------------------------------------------------------------------------------

runner = CliRunner(env={"COLUMNS": "200", "KEFU_DB": None})


def kefu(db: Path, *args: str) -> Any:
    return runner.invoke(app, ["--db", str(db), *args])


@pytest.fixture
def cli_db(tmp_path: Path) -> Path:
    path = tmp_path / "kefu.db"
    assert kefu(path, "init", "--profile", str(MINI_PROFILE)).exit_code == 0
    for name, role in [("alice", "agent"), ("ana", "analyst")]:
        result = kefu(path, "user", "add", name, "--role", role)
        assert result.exit_code == 0, result.output
    for phone in ("13800001111", "13800001111"):
        result = kefu(path, "--as", "alice", "case", "new", "--channel", "hotline",
                      "--phone", phone, "--name", "=cmd|' /C calc'!A0", "-d", "late",
                      "--category", "delay", "--party", "courier", "--department", "cs")  # fmt: skip
        assert result.exit_code == 0, result.output
    return path


def test_report_command_formats(cli_db: Path, tmp_path: Path) -> None:
    result = kefu(cli_db, "--as", "ana", "report", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["report"] == "kpi" and document["by"] == "category"
    assert document["total"]["volume"] == 2
    assert document["total"]["repeat"] == {"numerator": 1, "denominator": 2, "percent": 50.0}
    table = kefu(cli_db, "--as", "ana", "report", "--by", "day")
    assert table.exit_code == 0 and "50.0% (1/2)" in table.stdout
    out = tmp_path / "kpi.csv"
    result = kefu(cli_db, "--as", "ana", "report", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfgroup,label,volume") and b"\r\n" in raw
    assert "delay,Delay,2," in raw.decode("utf-8-sig")


def test_case_export_command_masks_by_role(cli_db: Path) -> None:
    result = kefu(cli_db, "--as", "ana", "report", "--by", "case", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "138****1111" in result.stdout and "13800001111" not in result.stdout
    assert "'=****" in result.stdout  # the formula-looking (masked) name is neutralised
    refused = kefu(cli_db, "--as", "ana", "report", "--by", "case", "--unmasked")
    assert refused.exit_code == 2 and "unmasked" in refused.stderr and not refused.stdout
    agent = kefu(cli_db, "--as", "alice", "report", "--by", "case", "--unmasked", "--json")
    assert agent.exit_code == 0, agent.output
    document = json.loads(agent.stdout)
    assert document["masked"] is False
    assert document["cases"][0]["customer_phone"] == "13800001111"


def test_report_command_refusals(cli_db: Path) -> None:
    for args, message in [
        (("--by", "agent"), "per agent"),
        (("--from", "2026-13-01"), "not a date"),
        (("--format", "xml"), "--format"),
        (("--out", "x.txt"), "--out"),
        (("--unmasked",), "--by case"),
    ]:
        result = kefu(cli_db, "--as", "alice", "report", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr and "Traceback" not in result.output


def test_compensation_kinds_of_every_policy_revision(desk: Desk) -> None:
    with desk.write() as session:
        for kind, amount in (("cash", 10.0), (None, 5.0), ("points", 7.0)):
            add_case(session, received_at=cn(3), closed_at=cn(4), status="closed",
                     close_reason="confirmed", compensation_amount=amount,
                     compensation_kind=kind)  # fmt: skip
    total = report(desk).total
    # "points" is in no policy revision (written straight to the table): shown by its code.
    assert total.compensation == {"": (5.0, 1), "cash": (10.0, 1), "points": (7.0, 1)}
    assert total.compensation_total == 22.0
    document = report(desk).as_dict()["total"]["compensation"]
    assert document["by_kind"]["unspecified"] == {"amount": 5.0, "cases": 1}


@pytest.mark.parametrize("items", [[], [{"code": "T-1"}, {"code": "T-2", "name": "王*"}]])
def test_streamed_json_is_one_document(items: list[dict[str, str]]) -> None:
    from kefu.core.exports import write_json_items

    buffer = io.StringIO()
    head = {"report": "cases", "period": {"from": "2026-11-01"}}
    assert write_json_items(buffer, head, "cases", iter(items)) == len(items)
    assert json.loads(buffer.getvalue()) == {**head, "cases": items}


def test_case_export_to_a_file(cli_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "cases.json"
    result = kefu(cli_db, "--as", "ana", "report", "--by", "case", "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "wrote 2 cases" in result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["masked"] is True and len(document["cases"]) == 2
    assert document["cases"][1]["repeat_of"] == document["cases"][0]["code"]


def test_report_errors_and_table_read_in_chinese(desk: Desk) -> None:
    build_november(desk)
    with desk.write() as session:
        add_case(session, received_at=cn(12), department=None)
    with pytest.raises(InvalidInput) as bad_by:
        report(desk, by="colour")
    assert bad_by.value.field == "by"
    assert (
        bad_by.value.message == "--by must be one of: category, channel, department, party, agent, day, case"
    )
    assert (
        bad_by.value.text("zh") == "--by 须为以下之一：category、channel、department、party、agent、day、case"
    )
    with pytest.raises(PermissionDenied) as per_agent:
        report(desk, by="agent", who="alice")
    assert per_agent.value.message == (
        "an agent may not see KPIs per agent (roles allowed: admin, analyst, auditor, supervisor)"
    )
    assert per_agent.value.text("zh") == (
        "售后客服专员无权查看按客服统计的指标（允许的角色：管理员、数据分析小组、内部监督小组、上级主管）"
    )
    with desk.read() as session, pytest.raises(InvalidInput) as not_a_date:
        _, profile = policies.policy_in_force(session, NOW)
        reports.parse_period(profile, first="yesterday", last=None, now=NOW)
    assert not_a_date.value.field == "from"
    assert not_a_date.value.text("zh") == "--from「yesterday」不是日期；请写成 YYYY-MM-DD（整月写 YYYY-MM）"

    result = report(desk, by="department")
    english = reports.report_table_rows(result)
    assert english[0] == ["department", "volume", "on-time", "satisfied", "repeat", "1st response", "reopen",
                          "handling avg/P90", "compensation CNY", "breaches"]  # fmt: skip
    assert [english[-2][0], english[-1][0]] == ["(none)", "total"]
    chinese = reports.report_table_rows(result, lang="zh")
    assert chinese[0] == ["部门", "投诉量", "处理及时率", "满意度", "重复投诉率", "首次响应达标率", "重开率",
                          "处理时长 平均/P90", "补偿（CNY）", "超时"]  # fmt: skip
    assert [chinese[-2][0], chinese[-1][0]] == ["（无）", "合计"]
    assert (english[-1][7], chinese[-1][7]) == ("2.2bh / 5.0bh", "2.2工作小时 / 5.0工作小时")
    # Scripts read CSV and JSON: their header and keys stay English whatever the table's language.
    assert result.csv_header()[:3] == ["group", "label", "volume"]
