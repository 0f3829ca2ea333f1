"""Calendar years as data (kefu.core.calendars, `kefu calendar`, `kefu sla rebase`).

Today is 1 Dec 2026 and chinesecalendar has no 2027 data: every `wd` deadline of a complaint
received from mid-December reaches a year in which kefu assumes Monday to Friday. Once an admin
enters the year's arrangement, the year counts as covered and a rebase moves the open
deadlines that rested on the guess, keeping the time already used. The 2027 file below is made
up for the tests (元旦 1-3 Jan, a make-up Sunday 7 Feb); it is not the official arrangement.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import Desk, make_desk
from conftest import cli_run as run
from freezegun import freeze_time

from kefu.core import calendars, deadlines, lifecycle, services
from kefu.core.calendar import CalendarCoverageWarning, WorkCalendar
from kefu.core.identity import os_login
from kefu.core.policy import bundled_profiles_dir

SH = ZoneInfo("Asia/Shanghai")

Y2027 = """\
year = 2027
source = "测试用（非官方）"

[[holidays]]
name = "元旦"
from = 2027-01-01
to = 2027-01-03

[[holidays]]
name = "春节"
from = 2027-02-06
to = 2027-02-14

[[workdays]]
name = "春节调休"
date = 2027-02-20
"""


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


def at(desk: Desk, when: datetime, *args: str, code: int = 0) -> str:
    with freeze_time(when):
        result = run(desk, *args)
    assert result.exit_code == code, result.output
    return result.stdout


def new_case(desk: Desk, when: datetime, severity: str = "P2") -> str:
    out = at(desk, when, "--as", "alice", "case", "new", "--channel", "hotline", "-d", "年底包裹丢了",
             "--category", "delay", "--party", "courier", "--department", "cs",
             "--severity", severity, "--json")  # fmt: skip
    return str(json.loads(out)["code"])


def shown(desk: Desk, code: str, when: datetime) -> dict[str, object]:
    return dict(json.loads(at(desk, when, "--as", "alice", "case", "show", code, "--json")))


def enter_2027(desk: Desk, tmp_path: Path, text: str = Y2027, *extra: str, code: int = 0) -> str:
    path = tmp_path / "2027.toml"
    path.write_text(text, encoding="utf-8")
    return at(desk, sh(2026, 12, 30, 12), "calendar", "add", str(path), *extra, code=code)


def test_a_rebase_after_entering_2027_moves_what_rested_on_the_guess(express: Desk, tmp_path: Path) -> None:
    # Received Wed 30 Dec 10:00, 2wd: weekdays assumed, Thu 31 Dec and Fri 1 Jan -> Fri 1 Jan 18:00.
    code = new_case(express, sh(2026, 12, 30, 10))
    met = new_case(express, sh(2026, 12, 30, 10, 5))
    at(express, sh(2026, 12, 30, 10, 30), "--as", "alice", "case", "move", met, "claim")
    at(
        express,
        sh(2026, 12, 30, 11),
        "--as",
        "alice",
        "case",
        "move",
        met,
        "propose",
        "--resolution",
        "apology",
    )
    before = shown(express, code, sh(2026, 12, 30, 11))
    assert before["due"]["resolution"]["due"] == "2027-01-01T18:00:00+08:00"  # type: ignore[index]

    out = enter_2027(express, tmp_path)
    assert "Entered 2027 (days off: 12; make-up working days: 1)" in out
    # Nothing moved yet: entering a year changes the calendar, a rebase moves the deadlines.
    assert shown(express, code, sh(2026, 12, 30, 12))["due"]["resolution"]["assumed_years"] == []  # type: ignore[index]

    dry = json.loads(at(express, sh(2026, 12, 30, 13), "sla", "rebase", "--dry-run", "--json"))
    moved = [(m["code"], m["clock"], m["before"], m["after"]) for m in dry["moved"]]
    # 元旦 entered as 1-3 Jan: the 2nd working day after receipt is Mon 4 Jan.
    assert moved == [(code, "resolution", "2027-01-01T18:00:00+08:00", "2027-01-04T18:00:00+08:00")]
    assert (
        shown(express, code, sh(2026, 12, 30, 13))["due"]["resolution"]["due"] == "2027-01-01T18:00:00+08:00"
    )  # type: ignore[index]

    text = at(express, sh(2026, 12, 30, 13), "sla", "rebase")
    assert f"{code}  resolution" in text and "2027-01-01 18:00 → 2027-01-04 18:00" in text
    assert "Deadlines moved: 1, on 1 cases" in text
    after = shown(express, code, sh(2026, 12, 30, 14))
    assert after["due"]["resolution"] == {  # type: ignore[index]
        "due": "2027-01-04T18:00:00+08:00",
        "met_at": None,
        "state": "ok",
        "remaining_minutes": after["due"]["resolution"]["remaining_minutes"],  # type: ignore[index]
        "assumed_years": [],
    }
    record = next(r for r in after["deadline_records"] if r["clock"] == "resolution")  # type: ignore[attr-defined]
    assert (record["instance"], record["due_at"], record["assumed_years"]) == (
        1,
        "2027-01-04T18:00:00+08:00",
        [],
    )
    rebased = [e for e in after["history"] if e["action"] == "rebase"]  # type: ignore[attr-defined]
    assert len(rebased) == 1 and rebased[0]["actor"] == "kefu"
    assert rebased[0]["changes"] == {
        "due_resolution": ["2027-01-01T18:00:00+08:00", "2027-01-04T18:00:00+08:00"]
    }
    # The met deadline of the other case is history: untouched.
    other = next(
        r for r in shown(express, met, sh(2026, 12, 30, 14))["deadline_records"] if r["clock"] == "resolution"
    )  # type: ignore[attr-defined]
    assert other["met_at"] == "2026-12-30T11:00:00+08:00"
    # Running it again moves nothing.
    again = json.loads(at(express, sh(2026, 12, 30, 15), "sla", "rebase", "--json"))
    assert again["moved"] == [] and again["open_cases"] == 2
    # The door and the rebase agree: the stored due is what the history gives now.
    with express.read() as session:
        case = lifecycle.get_case(session, code)
        assert (
            lifecycle.recompute_deadlines(session, case, sh(2026, 12, 30, 15))["resolution"]
            == case.due_resolution
        )


def test_an_entered_year_is_covered_for_warnings_and_doctor(express: Desk, tmp_path: Path) -> None:
    doctor = json.loads(at(express, sh(2026, 12, 30, 11), "doctor", "--json"))
    calendar = next(c for c in doctor["checks"] if c["name"] == "calendar")
    assert calendar["warning"] is True and "not yet for 2027" in calendar["detail"]

    enter_2027(express, tmp_path)
    doctor = json.loads(at(express, sh(2026, 12, 30, 14), "doctor", "--json"))
    calendar = next(c for c in doctor["checks"] if c["name"] == "calendar")
    assert (calendar["ok"], calendar["warning"]) == (True, False)
    assert "entered for this desk: 2027" in calendar["detail"]
    # Deadlines computed after the entry rest on it: Mon 4 Jan, not Fri 1 Jan.
    code = new_case(express, sh(2026, 12, 30, 10, 0))
    assert (
        shown(express, code, sh(2026, 12, 30, 15))["due"]["resolution"]["due"] == "2027-01-04T18:00:00+08:00"
    )  # type: ignore[index]


def test_entered_days_win_over_weekdays_and_make_up_days_work() -> None:
    """(No coverage warning either: the year is known.)"""
    arrangement = calendars.parse_year_text(Y2027, "2027.toml")
    years = calendars.desk_years_of([arrangement])
    plain = WorkCalendar()
    calendar = plain.with_entered(years.years, years.holidays, years.workdays)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarCoverageWarning)
        assert not calendar.is_workday(date(2027, 1, 1))  # Fri, 元旦
        assert not calendar.is_workday(date(2027, 2, 8))  # Mon inside 春节
        assert calendar.is_workday(date(2027, 2, 20))  # Sat, 调休上班
        assert not calendar.is_workday(date(2027, 2, 21))  # an ordinary Sunday
        assert calendar.is_workday(date(2027, 1, 4))
    assert calendar.uncovered_years([2026, 2027, 2028]) == [2028]
    assert plain.uncovered_years([2026, 2027]) == [2027]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            Y2027.replace("to = 2027-01-03", "to = 2026-12-31"),
            "line 7: holidays[1].to: 2026-12-31 is not in 2027",
        ),
        (
            Y2027.replace("date = 2027-02-20", "date = 2027-02-08"),
            "line 16: workdays[1].date: 2027-02-08 is listed",
        ),
        (Y2027.replace('name = "春节"\n', ""), "line 9: holidays[2].name: give the holiday a name"),
        (
            Y2027.replace("from = 2027-02-06", 'from = "6 Feb"'),
            "line 11: holidays[2].from: '6 Feb' is not a date",
        ),
        (Y2027.replace("year = 2027", 'year = "二〇二七"'), "line 1: year: give the year as a number"),
        (Y2027.replace("year = 2027\n", "year = 2027\nholiday = 1\n"), "line 2: holiday: unknown key"),
        (Y2027.replace("to = 2027-02-14", "to = 2027-02-01"), "line 12: holidays[2].to: the holiday ends"),
        ("year = 2027\n[[holidays]\n", "not valid TOML"),
        (
            Y2027.replace("date = 2027-02-20", "date = 2027-02-17"),
            "line 16: workdays[1].date: 2027-02-17 is a weekday",
        ),
        (
            Y2027.replace(
                "to = 2027-02-14",
                'to = 2027-02-14\n\n[[holidays]]\nname = "春节2"\nfrom = 2027-02-10\nto = 2027-02-11',
            ),
            "holidays[3].from: 春节2 overlaps 春节",
        ),
        (
            Y2027.replace('source = "测试用（非官方）"\n', ""),
            "2027.toml: source: name the notice",
        ),  # the file's first line
        (Y2027.replace("[[workdays]]", "[[workday]]"), "line 14: workday: unknown key"),
    ],
)
def test_a_bad_file_is_refused_naming_file_line_and_field(
    express: Desk, tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(text, encoding="utf-8")
    with freeze_time(sh(2026, 12, 30, 12)):
        result = run(express, "calendar", "add", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}" in result.stderr and where in result.stderr, result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert json.loads(at(express, sh(2026, 12, 30, 12), "calendar", "show", "--json"))["entered"] == []


def test_a_year_is_entered_once_unless_replaced_and_only_by_an_admin(express: Desk, tmp_path: Path) -> None:
    path = tmp_path / "2027.toml"
    path.write_text(Y2027, encoding="utf-8")
    with freeze_time(sh(2026, 12, 30, 12)):
        refused = run(express, "--as", "sue", "calendar", "add", str(path))
    assert refused.exit_code == 2 and "admin" in refused.stderr
    enter_2027(express, tmp_path)
    again = enter_2027(express, tmp_path, code=2)
    assert again == ""
    replaced = enter_2027(express, tmp_path, Y2027.replace("to = 2027-01-03", "to = 2027-01-01"), "--replace")
    assert "Replaced 2027 (days off: 10" in replaced
    listing = json.loads(at(express, sh(2026, 12, 30, 13), "calendar", "show", "2027", "--json"))
    assert listing["entered"][0]["holidays"][0] == {
        "name": "元旦",
        "from": "2027-01-01",
        "to": "2027-01-01",
        "days": 1,
    }
    text = at(express, sh(2026, 12, 30, 13), "--lang", "zh", "calendar", "show")
    assert f"2027 年（{os_login()} 于 2026-12-30 12:00 录入" in text and "调休上班" in text and "春节" in text


def test_a_rebase_keeps_the_records_the_door_would_write(express: Desk, tmp_path: Path) -> None:
    """A case waiting for the customer over New Year is rebased like any other: its record
    stays stopped, its due time counts the same waits on the new calendar."""
    code = new_case(express, sh(2026, 12, 30, 10))
    at(express, sh(2026, 12, 30, 10, 30), "--as", "alice", "case", "move", code, "claim")
    at(express, sh(2026, 12, 30, 11), "--as", "alice", "case", "move", code, "wait", "--note", "等客户")
    at(express, sh(2026, 12, 31, 11), "--as", "alice", "case", "move", code, "resume")
    enter_2027(express, tmp_path)
    at(express, sh(2026, 12, 31, 12), "sla", "rebase")
    with express.read() as session:
        case = lifecycle.get_case(session, code)
        rows = {r.clock: r for r in deadlines.case_rows(session, case.id) if r.ended_at is None}
        assert rows["resolution"].due_at == case.due_resolution
        assert (
            case.due_resolution
            == lifecycle.recompute_deadlines(session, case, sh(2026, 12, 31, 12))["resolution"]
        )
        assert rows["resolution"].assumed_years is None


def test_a_shipped_year_is_replaced_only_when_meant_and_an_entry_can_be_taken_back(
    express: Desk, tmp_path: Path
) -> None:
    y2026 = Y2027.replace("2027", "2026").replace("2026-02-20", "2026-02-28")  # a Saturday in 2026
    path = tmp_path / "2026.toml"
    path.write_text(y2026, encoding="utf-8")
    with freeze_time(sh(2026, 12, 30, 12)):
        refused = run(express, "calendar", "add", str(path))
    assert refused.exit_code == 2 and "2026 is in the official holiday data kefu ships" in refused.stderr
    enter_2027(express, tmp_path)
    assert "Took back 2027" in at(express, sh(2026, 12, 30, 13), "calendar", "remove", "2027")
    assert json.loads(at(express, sh(2026, 12, 30, 13), "calendar", "show", "--json"))["entered"] == []
    with freeze_time(sh(2026, 12, 30, 13)):
        again = run(express, "calendar", "remove", "2027")
    assert again.exit_code == 2 and "2027 is not entered" in again.stderr


def test_the_shipped_example_file_reads() -> None:
    from kefu.core.policy import bundled_profiles_dir

    example = bundled_profiles_dir().parent / "calendars" / "example-2027.toml"
    arrangement = calendars.read_year_file(example)
    assert arrangement.year == 2027 and "示例" in arrangement.source
