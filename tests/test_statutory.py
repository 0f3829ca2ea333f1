"""Statutory periods (kefu.core.statutory): the `[statutory.*]` rules of the shipped profiles
as hard clocks and windows, counted as 民法典 第二百零一条 / 第二百零三条 count periods in days,
on dates that cross the long holidays of the official 2026 arrangement (Spring Festival 15-23
Feb; Labour Day 1-5 May; National Day 1-7 Oct, Sat 10 Oct a make-up working day).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import Desk, make_desk
from conftest import cli_run as run
from freezegun import freeze_time
from sqlmodel import select

from kefu.core import deadlines, lifecycle, services, statutory
from kefu.core.identity import os_login
from kefu.core.models import Breach
from kefu.core.policy import bundled_profiles_dir, load_profile_file

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def desk_of(tmp_path: Path, name: str) -> Desk:
    department = "cs" if name == "express" else None
    desk = make_desk(
        tmp_path / "kefu.db", bundled_profiles_dir() / f"{name}.toml", sh(2026, 1, 5, 9), department
    )
    with desk.write() as session:
        services.add_user(
            session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=sh(2026, 1, 5, 9)
        )
    return desk


@pytest.fixture
def express(tmp_path: Path) -> Iterator[Desk]:
    desk = desk_of(tmp_path, "express")
    yield desk
    desk.engine.dispose()


@pytest.fixture
def ecommerce(tmp_path: Path) -> Iterator[Desk]:
    desk = desk_of(tmp_path, "ecommerce")
    yield desk
    desk.engine.dispose()


def at(desk: Desk, when: datetime, *args: str, code: int = 0) -> str:
    with freeze_time(when):
        result = run(desk, *args)
    assert result.exit_code == code, result.output
    return result.stdout


def show(desk: Desk, code: str, when: datetime) -> dict[str, object]:
    return dict(json.loads(at(desk, when, "--as", "alice", "case", "show", code, "--json")))


def legal(shown: dict[str, object]) -> dict[str, dict[str, object]]:
    return {p["code"]: p for p in shown["statutory"]}  # type: ignore[attr-defined]


def express_case(desk: Desk, when: datetime) -> str:
    out = at(desk, when, "--as", "alice", "case", "new", "--channel", "hotline", "-d", "节前寄的件一直没到",
             "--category", "delay", "--party", "courier", "--department", "cs", "--severity", "P3",
             "--complexity", "complex", "--json")  # fmt: skip
    return str(json.loads(out)["code"])


# -- the counting rule ------------------------------------------------------------------------


def test_the_period_counts_from_the_next_day_and_ends_on_a_working_day() -> None:
    mall = load_profile_file(bundled_profiles_dir() / "mall.toml")
    calendar = mall.legal_calendar
    # 7 days after Tue 29 Sep is Tue 6 Oct, a National Day holiday: Thu 8 Oct is the last day.
    assert statutory.last_day(calendar, date(2026, 9, 29), 7) == date(2026, 10, 8)
    # 7 days after Thu 12 Feb is Thu 19 Feb, inside the Spring Festival: Tue 24 Feb.
    assert statutory.last_day(calendar, date(2026, 2, 12), 7) == date(2026, 2, 24)
    # 7 days after Sat 3 Oct is Sat 10 Oct, a make-up working day: it stays.
    assert statutory.last_day(calendar, date(2026, 10, 3), 7) == date(2026, 10, 10)
    # An ordinary weekend moves to Monday: 7 days after Sat 7 Nov is Sat 14 Nov -> Mon 16 Nov.
    assert statutory.last_day(calendar, date(2026, 11, 7), 7) == date(2026, 11, 16)
    # The mall's three-guarantees return window from a sale on Tue 28 Apr: Tue 5 May is Labour
    # Day, so Wed 6 May, until 24:00.
    periods = statutory.periods(
        mall,
        category="product_quality",
        received_at=sh(2026, 5, 7, 10),
        delivered_on=date(2026, 4, 28),
        returned_on=None,
    )
    by_code = {p.code: p for p in periods}
    assert by_code["three_guarantees_return"].end == sh(2026, 5, 7, 0)
    assert by_code["three_guarantees_return"].rule.kind == "window"
    # 15 days from receipt on Thu 7 May: Fri 22 May, a working day.
    assert by_code["deliberate_delay"].end == sh(2026, 5, 23, 0)


# -- a duty: the express 7-day answer -------------------------------------------------------


def test_the_express_answer_is_due_after_national_day_and_is_breached_once(express: Desk) -> None:
    code = express_case(express, sh(2026, 9, 29, 10))
    met = express_case(express, sh(2026, 9, 29, 10, 5))
    first = legal(show(express, code, sh(2026, 9, 29, 11)))["regulator_reply"]
    assert (first["kind"], first["last_day"], first["ends_at"], first["state"]) == (
        "duty",
        "2026-10-08",
        "2026-10-09T00:00:00+08:00",
        "ok",
    )
    assert first["source"] == "快递暂行条例 第二十八条"
    # The shop's own 4wd target for a complex P3 runs past it (Sat 10 Oct, a make-up day).
    assert show(express, code, sh(2026, 9, 29, 11))["due"]["resolution"]["due"] == "2026-10-10T18:00:00+08:00"  # type: ignore[index]

    # Waiting for the customer does not stop a statutory clock.
    at(express, sh(2026, 9, 29, 11), "--as", "alice", "case", "move", code, "claim")
    at(express, sh(2026, 9, 30, 9), "--as", "alice", "case", "move", code, "wait", "--note", "等客户提供照片")
    at(express, sh(2026, 9, 29, 11), "--as", "alice", "case", "move", met, "claim")
    at(
        express,
        sh(2026, 10, 8, 15),
        "--as",
        "alice",
        "case",
        "move",
        met,
        "propose",
        "--resolution",
        "apology",
    )

    risk = json.loads(at(express, sh(2026, 10, 8, 12), "sla", "check", "--json"))
    assert [(r["code"], r["clock"]) for r in risk["at_risk"] if r["clock"].startswith("statutory.")] == [
        (code, "statutory.regulator_reply")
    ]
    queue = json.loads(at(express, sh(2026, 10, 8, 12), "--as", "sue", "case", "list", "--json"))
    listed = {c["code"]: c for c in queue}
    assert listed[code]["statutory_due"]["state"] == "at_risk"
    assert listed[met]["statutory_due"] is None  # met on Thu 8 Oct 15:00

    breached = json.loads(at(express, sh(2026, 10, 9, 1), "sla", "check", "--json", code=1))
    row = next(r for r in breached["breached"] if r["clock"] == "statutory.regulator_reply")
    assert (row["code"], row["due"], row["new"], row["status"]) == (
        code,
        "2026-10-09T00:00:00+08:00",
        True,
        "pending_customer",
    )
    again = json.loads(at(express, sh(2026, 10, 9, 2), "sla", "check", "--json", code=1))
    assert not [r for r in again["new_breaches"] if r["clock"].startswith("statutory.")]
    with express.read() as session:
        kinds = [b.kind for b in session.exec(select(Breach)).all()]
    assert kinds.count("statutory.regulator_reply") == 1
    shown = show(express, code, sh(2026, 10, 9, 3))
    assert legal(shown)["regulator_reply"]["state"] == "breached"
    assert legal(show(express, met, sh(2026, 10, 9, 3)))["regulator_reply"]["state"] == "met"
    text = at(express, sh(2026, 10, 9, 3), "--as", "alice", "--lang", "zh", "case", "show", code)
    assert "法定 自接到投诉之日起7日内予以处理并告知用户  2026-10-08 24:00 届满  已超时" in text
    # Reports count the duties that fell due: one met by its end, one not.
    report = json.loads(at(express, sh(2026, 10, 31, 12), "--as", "ana", "report", "--from", "2026-10-01",
                           "--to", "2026-10-31", "--json"))  # fmt: skip
    assert report["total"]["statutory"]["numerator"] == 1
    assert report["total"]["statutory"]["denominator"] == 2


def test_a_rejection_cancels_a_statutory_duty(express: Desk) -> None:
    code = express_case(express, sh(2026, 9, 29, 10))
    at(express, sh(2026, 9, 29, 11), "--as", "carol", "case", "move", code, "reject", "--reason", "spam")
    with express.read() as session:
        rows = deadlines.case_rows(session, lifecycle.get_case(session, code).id)
        duty = next(r for r in rows if r.clock == "statutory.regulator_reply")
        assert (duty.end_reason, duty.met_at) == ("cancelled", None)
        assert lifecycle.get_case(session, code).due_statutory is None
    breached = json.loads(at(express, sh(2026, 10, 12, 10), "sla", "check", "--json"))
    assert not [r for r in breached["breached"] if r["clock"].startswith("statutory.")]


# -- e-commerce: a window from sign-off, a refund duty from the returned goods ---------------


def test_the_return_window_and_the_refund_duty_cross_the_spring_festival(ecommerce: Desk) -> None:
    out = at(ecommerce, sh(2026, 2, 14, 10), "--as", "alice", "case", "new", "--channel", "online_chat",
             "-d", "七天无理由退货，商家不退款", "--category", "after_sales", "--delivered-on", "2026-02-12",
             "--json")  # fmt: skip
    code = json.loads(out)["code"]
    periods = legal(json.loads(out))
    window = periods["no_reason_return"]
    # Signed for Thu 12 Feb: 7 days end Thu 19 Feb, inside the Spring Festival -> Tue 24 Feb.
    assert (window["kind"], window["last_day"], window["received_within"]) == ("window", "2026-02-24", True)
    assert "refund_after_return" not in periods  # the goods have not come back yet
    # 15 days from receipt on Sat 14 Feb (a make-up working day): Sun 1 Mar -> Mon 2 Mar.
    assert periods["deliberate_delay"]["last_day"] == "2026-03-02"

    # The returned goods arrive on Sat 14 Feb too: the refund is due 7 days later, Sat 21 Feb
    # (Spring Festival) -> Tue 24 Feb 24:00. Recorded later, through one path, with an event.
    out = at(
        ecommerce,
        sh(2026, 2, 14, 16),
        "--as",
        "alice",
        "case",
        "set",
        code,
        "--returned-on",
        "2026-02-14",
        "--json",
    )
    shown = json.loads(out)
    refund = legal(shown)["refund_after_return"]
    assert (refund["last_day"], refund["ends_at"], refund["state"]) == (
        "2026-02-24",
        "2026-02-25T00:00:00+08:00",
        "ok",
    )
    assert shown["returned_on"] == "2026-02-14"
    update = [e for e in shown["history"] if e["action"] == "update"]
    assert update and update[0]["changes"] == {"returned_on": [None, "2026-02-14"]}
    assert shown["statutory_due"]["clock"] == "statutory.refund_after_return"

    late = json.loads(at(ecommerce, sh(2026, 2, 25, 9), "sla", "check", "--json", code=1))
    assert [(r["code"], r["clock"]) for r in late["breached"] if r["clock"].startswith("statutory.")] == [
        (code, "statutory.refund_after_return")
    ]
    # A complaint about goods signed for before the window: it came after it ended.
    out = at(ecommerce, sh(2026, 2, 25, 10), "--as", "alice", "case", "new", "--channel", "online_chat",
             "-d", "想退货", "--category", "after_sales", "--delivered-on", "2026-02-12",
             "--json")  # fmt: skip
    assert legal(json.loads(out))["no_reason_return"]["received_within"] is False


@pytest.mark.parametrize(
    ("value", "reason"),
    [("2026-03-01", "is in the future"), ("下周", "'下周' is not a date"), ("1999-01-01", "before 2000")],
)
def test_a_bad_goods_date_is_refused_and_nothing_changes(ecommerce: Desk, value: str, reason: str) -> None:
    out = at(ecommerce, sh(2026, 2, 14, 10), "--as", "alice", "case", "new", "--channel", "online_chat",
             "-d", "退货", "--category", "after_sales", "--json")  # fmt: skip
    code = json.loads(out)["code"]
    with freeze_time(sh(2026, 2, 14, 11)):
        result = run(ecommerce, "--as", "alice", "case", "set", code, "--returned-on", value)
    assert result.exit_code == 2 and reason in result.stderr, result.output
    assert "Traceback" not in result.output
    assert show(ecommerce, code, sh(2026, 2, 14, 12))["returned_on"] is None


def test_an_import_brings_the_sign_off_date(ecommerce: Desk, tmp_path: Path) -> None:
    source = tmp_path / "售后.csv"
    source.write_text(
        "工单号,投诉渠道,投诉时间,投诉内容,问题类型,签收日期\n"
        "A-1,online_chat,2026/2/14 10:00,七天无理由退货被拒,after_sales,2026年2月12日\n",
        encoding="utf-8",
    )
    with freeze_time(sh(2026, 2, 14, 12)):
        result = run(ecommerce, "import", str(source), "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(at(ecommerce, sh(2026, 2, 14, 12), "--as", "alice", "case", "list", "--json"))
    code = listed[0]["code"]
    shown = show(ecommerce, code, sh(2026, 2, 14, 12))
    assert shown["delivered_on"] == "2026-02-12"
    assert legal(shown)["no_reason_return"]["last_day"] == "2026-02-24"


def test_existing_desks_get_their_statutory_records(express: Desk) -> None:
    """A desk from before statutory clocks (0007) gets the duty records counted from receipt
    that kefu would have kept: open, met at the first resolution, cancelled by a rejection."""
    from alembic import command

    from kefu.core import db as kdb

    open_case = express_case(express, sh(2026, 9, 29, 10))
    met = express_case(express, sh(2026, 9, 29, 10, 5))
    at(express, sh(2026, 9, 29, 11), "--as", "alice", "case", "move", met, "claim")
    at(
        express,
        sh(2026, 10, 8, 15),
        "--as",
        "alice",
        "case",
        "move",
        met,
        "propose",
        "--resolution",
        "apology",
    )
    rejected = express_case(express, sh(2026, 9, 29, 10, 10))
    at(express, sh(2026, 9, 29, 11), "--as", "carol", "case", "move", rejected, "reject", "--reason", "spam")
    codes = [open_case, met, rejected]

    def kept() -> dict[str, object]:
        with express.read() as session:
            out: dict[str, object] = {}
            for code in codes:
                case = lifecycle.get_case(session, code)
                rows = [r for r in deadlines.case_rows(session, case.id) if r.clock.startswith("statutory.")]
                out[code] = (
                    [
                        (
                            r.clock,
                            r.instance,
                            r.target,
                            r.started_at,
                            r.due_at,
                            r.met_at,
                            r.ended_at,
                            r.end_reason,
                        )
                        for r in rows
                    ],
                    case.due_statutory,
                    case.statutory_clock,
                )
            return out

    before = kept()
    assert before[open_case][2] == "statutory.regulator_reply"  # type: ignore[index]
    command.downgrade(kdb._alembic_config(express.engine.execution_options(kefu_migrate=True)), "0007")
    express.engine.dispose()
    express.engine = kdb.open_database(str(express.path))  # migrates forward
    assert kept() == before


# -- policy check ------------------------------------------------------------------------------


def test_policy_check_names_the_dates_a_shop_target_runs_past_the_law(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kefu.cli import app

    def check(path: Path) -> tuple[int, str, str]:
        with freeze_time(sh(2026, 12, 1, 10)):
            result = CliRunner().invoke(
                app, ["policy", "check", str(path)], env={"KEFU_LANG": "en", "COLUMNS": "400"}
            )
        return result.exit_code, result.stdout, result.stderr

    code, out, err = check(bundled_profiles_dir() / "express.toml")
    assert code == 0 and "ok (express" in out
    # A complex P3 received Wed 30 Sep 2026: 4wd is Mon 12 Oct 18:00 (after National Day and
    # Sat 10 Oct), the 7-day answer ends Thu 8 Oct 24:00.
    assert (
        "P3 (complex) resolution target 4wd can end after the statutory duty Handle the complaint and "
        "tell the customer within 7 days (快递暂行条例 第二十八条): received 2026-09-30 (Wed), it is due "
        "2026-10-12 18:00 (Mon), but the duty ends 2026-10-08 (Thu) 24:00"
    ) in " ".join(err.split())
    thirty = tmp_path / "thirty.toml"
    text = (bundled_profiles_dir() / "express.toml").read_text(encoding="utf-8")
    thirty.write_text(
        text.replace(
            '[sla.P3]\nfirst_response = "2bh"\nresolution = "1wd"',
            '[sla.P3]\nfirst_response = "2bh"\nresolution = "30d"',
        ),
        encoding="utf-8",
    )
    code, _out, err = check(thirty)
    assert code == 0
    assert "P3 resolution target 30d can end after" in " ".join(err.split())
    assert "365 receipt days in 2026 run past it" in " ".join(err.split())


def _every_rule() -> list[tuple[str, str]]:
    return [
        (name, code)
        for name in ("express", "ecommerce", "livestream", "mall")
        for code in load_profile_file(bundled_profiles_dir() / f"{name}.toml").statutory
    ]


@pytest.mark.parametrize(("name", "code"), _every_rule())
def test_every_shipped_rule_moves_off_national_day(name: str, code: str) -> None:
    """Each rule of each shipped profile, anchored so that its period would end on Mon 5 Oct
    2026 (National Day): it ends at 24:00 on Thu 8 Oct, the first working day after."""
    from datetime import timedelta

    profile = load_profile_file(bundled_profiles_dir() / f"{name}.toml")
    rule = profile.statutory[code]
    anchor = date(2026, 10, 5) - timedelta(days=rule.days)
    received = (
        sh(anchor.year, anchor.month, anchor.day, 15) if rule.anchor == "received" else sh(2026, 10, 9, 10)
    )
    [period] = [
        p
        for p in statutory.periods(
            profile,
            category=rule.categories[0] if rule.categories else None,
            received_at=received,
            delivered_on=anchor if rule.anchor == "delivered" else None,
            returned_on=anchor if rule.anchor == "returned" else None,
        )
        if p.code == code
    ]
    assert period.anchor_day == anchor
    assert period.end == sh(2026, 10, 9, 0)
