"""One time parser (issue 13) for the CLI, the TUI and the importer: the spellings Chinese sheets
use, Excel serials, ISO with an offset; a date alone is never silently midnight for a receipt."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import Desk
from conftest import cli_run as run

from kefu.core.when import DateOnly, WhenError, parse_day, parse_instant

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-11-03 09:05", datetime(2026, 11, 3, 1, 5, tzinfo=UTC)),
        ("2026-11-03T09:05+08:00", datetime(2026, 11, 3, 1, 5, tzinfo=UTC)),
        ("2026-11-03T01:05Z", datetime(2026, 11, 3, 1, 5, tzinfo=UTC)),
        ("2026/11/3 9:05", datetime(2026, 11, 3, 1, 5, tzinfo=UTC)),
        ("2026.11.03 09:05:30", datetime(2026, 11, 3, 1, 5, 30, tzinfo=UTC)),
        ("2026年11月3日 9:05", datetime(2026, 11, 3, 1, 5, tzinfo=UTC)),
        ("2026年11月3日9时5分", datetime(2026, 11, 3, 1, 5, tzinfo=UTC)),
        ("2026年11月3日 下午3点", datetime(2026, 11, 3, 7, 0, tzinfo=UTC)),
        ("2026年11月3日 上午9点30分", datetime(2026, 11, 3, 1, 30, tzinfo=UTC)),
        ("2026年11月3日 上午9点半", datetime(2026, 11, 3, 1, 30, tzinfo=UTC)),
        ("２０２６年１１月３日　９：０５", datetime(2026, 11, 3, 1, 5, tzinfo=UTC)),
        ("46329.375", datetime(2026, 11, 3, 1, 0, tzinfo=UTC)),  # Excel: 3 Nov 2026 09:00
        (46329.375, datetime(2026, 11, 3, 1, 0, tzinfo=UTC)),
    ],
)
def test_the_spellings_sheets_use(written: object, utc: datetime) -> None:
    assert parse_instant(written, SH) == utc


@pytest.mark.parametrize("written", ["2026年11月3日", "2026/11/3", "2026-11-03", "46329", date(2026, 11, 3)])
def test_a_date_alone_is_read_as_asked_never_silently(written: object) -> None:
    with pytest.raises(WhenError, match="has no time of day"):
        parse_instant(written, SH, date_only=DateOnly.REFUSE)
    assert parse_instant(written, SH, date_only=DateOnly.NOON) == datetime(2026, 11, 3, 4, tzinfo=UTC)
    hours = ["08:30-12:00", "13:00-17:30"]
    assert parse_instant(written, SH, date_only=DateOnly.START_OF_BUSINESS, business_hours=hours) == datetime(
        2026, 11, 3, 0, 30, tzinfo=UTC
    )
    assert parse_instant(written, SH) == datetime(2026, 11, 2, 16, tzinfo=UTC)  # an --as-of: the day's start


@pytest.mark.parametrize(
    ("written", "why"),
    [("yesterday", "is not a date and time"), ("2026-02-30 10:00", "is not a real date and time"),
     ("1234", "is not a date and time"), ("99999", "is a number, not a date"),
     (12.5, "is a number, not a date"),
     ("2026-11-03 10:00+25:00", "impossible UTC offset")],
)  # fmt: skip
def test_what_is_not_a_time_says_why(written: object, why: str) -> None:
    with pytest.raises(WhenError, match=why):
        parse_instant(written, SH)


def test_days_take_the_same_spellings() -> None:
    assert {parse_day(v) for v in ("2026-11-03", "2026/11/3", "2026年11月3日", "46329", 46329.0)} == {
        date(2026, 11, 3)
    }


def test_the_cli_reads_what_the_importer_reads(cli_desk: Desk) -> None:
    new = ["--as", "alice", "case", "new", "--channel", "hotline", "-d", "包裹延误", "--json"]
    done = run(cli_desk, *new, "--received-at", "2026/11/20 9:05")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["received_at"].startswith("2026-11-20T09:05")
    refused = run(cli_desk, *new, "--received-at", "2026年11月20日")
    assert refused.exit_code == 2 and "has no time of day" in refused.stderr
    noon = run(cli_desk, *new, "--received-at", "2026年11月20日", "--date-only", "noon")
    assert noon.exit_code == 0 and json.loads(noon.stdout)["received_at"].startswith("2026-11-20T12:00")
    chinese = run(cli_desk, *new, "--received-at", "昨天", lang="zh")
    assert "「昨天」不是日期时间" in chinese.stderr


def test_a_spreadsheet_date_cell_is_a_day() -> None:
    """openpyxl gives a date-formatted cell as a naive datetime at midnight: a day, refused as a
    receipt like the same date written as text."""
    with pytest.raises(WhenError, match="has no time of day"):
        parse_instant(datetime(2026, 11, 3), SH, date_only=DateOnly.REFUSE)  # noqa: DTZ001
    assert parse_instant(datetime(2026, 11, 3, 9, 5), SH) == datetime(2026, 11, 3, 1, 5, tzinfo=UTC)  # noqa: DTZ001


def test_a_directory_named_like_a_profile_does_not_hide_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kefu.core.policy import resolve_profile_source

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mall").mkdir()
    text, origin = resolve_profile_source("mall")
    assert origin == "sample_data/profiles/mall.toml" and "[taxonomy.safety]" in text
