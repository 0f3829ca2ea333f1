"""Retention (issue 12): `kefu purge` anonymises closed cases past the policy's
`personal_data_days` — the customer's name, phone, e-mail and order gone from the case and its
history, personal numbers and the name inside its text redacted — keeps every statistic, records
an event and a desk log entry, leaves the history chain verifiable, and `--dry-run` only lists."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import NOW, Desk, make_cli_desk
from conftest import cli_run as run
from freezegun import freeze_time

from kefu.core import intake, lifecycle, services
from kefu.core.services import REDACTED

# The cases below run into 2027 and 2028, years the calendar has no official data for yet.
pytestmark = pytest.mark.filterwarnings("ignore::kefu.core.calendar.CalendarCoverageWarning")

TRIAGED = {"severity": "P2", "category": "delay", "party": "courier", "department": "cs"}
LATER = datetime(2029, 1, 10, 2, 0, tzinfo=NOW.tzinfo)
"""Past the mini profile's 730 days after the cases below closed."""


def move(desk: Desk, code: str, action: str, at: datetime, who: str = "alice", **fields: object) -> None:
    with desk.write() as session:
        lifecycle.move_case(session=session, code=code, action=action, actor=desk.user(who), now=at, **fields)


def closed_case(desk: Desk, at: datetime, phone: str = "13812345678", name: str = "王芳") -> str:
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=at, channel="hotline", customer_name=name,
            customer_phone=phone, customer_email="wang.fang@example.com", order_no="SF1234567890",
            description=f"{name}来电，备用电话 13900001111，身份证11010519900307123X，包裹延误",
            demand="退款到 wang.fang@example.com", **TRIAGED,
        ).code  # fmt: skip
    move(desk, code, "claim", at + timedelta(minutes=5))
    with desk.write() as session:
        services.add_note(session=session, code=code, actor=desk.user("alice"), now=at + timedelta(minutes=9),
                          text=f"已回电 {phone}，{name}同意补偿", contact=None, phrase=None)  # fmt: skip
        intake.correct_contact(session=session, code=code, actor=desk.user("alice"),
                               now=at + timedelta(minutes=10), note="客户更正号码和姓名",
                               customer_phone=phone[:7] + "2222",
                               customer_name=name + "敏")  # fmt: skip
        services.add_note(session=session, code=code, actor=desk.user("alice"),
                          now=at + timedelta(minutes=11), text="订单 SF1234567890 已查，快件在途",
                          contact=None, phrase=None)  # fmt: skip
    move(desk, code, "propose", at + timedelta(minutes=30), resolution="compensation", amount=30,
         compensation_kind="cash", note=f"补偿{name} 30 元")  # fmt: skip
    move(desk, code, "confirm", at + timedelta(minutes=50), satisfied="yes", score=4)
    return code


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_cli_desk(tmp_path / "kefu.db")


def _everything(desk: Desk) -> str:
    """Every text value in the file (what someone copying it would read)."""
    with sqlite3.connect(desk.path) as conn:
        found = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608
                found += [str(v) for v in row if isinstance(v, str)]
    return "\n".join(found)


def _report(desk: Desk) -> dict[str, object]:
    done = run(desk, "--as", "sue", "report", "--from", "2026-11", "--to", "2026-11", "--json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    document["period"].pop("as_of")  # the moment it ran
    return document


def test_a_purge_removes_personal_data_and_keeps_the_statistics(desk: Desk, tmp_path: Path) -> None:
    old = closed_case(desk, NOW)
    photo = tmp_path / "王芳-破损照片.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    with desk.write() as session:
        services.attach_file(session=session, code=old, actor=desk.user("alice"), now=NOW, path=photo)
    with desk.write() as session:
        intake.create_case(session=session, actor=desk.user("alice"), now=NOW, channel="hotline",
                           customer_name="李雷", customer_phone="13700003333", description="李雷：还没到货",
                           **TRIAGED)  # fmt: skip
    before = _report(desk)
    with freeze_time(LATER):
        done = run(desk, "purge", "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["cases"] == 1 and result["codes"] == [old] and result["older_than_days"] == 730
    # Both of 王芳's customer records: the number she gave first and the one she corrected it to.
    assert result["events_redacted"] >= 3 and result["customers_removed"] == 2
    text = _everything(desk)
    # The name she first gave (corrected later) in old notes, the order number written in text,
    # the evidence file's path: gone as well.
    for personal in ("王芳", "13812345678", "13812342222", "13900001111", "11010519900307123X",
                     "wang.fang@example.com", "SF1234567890", "破损照片"):  # fmt: skip
        assert personal not in text, personal
    assert "李雷" in text and "13700003333" in text  # an open case is kept whatever its age
    shown = json.loads(run(desk, "--as", "sue", "case", "show", old, "--json").stdout)
    assert shown["customer"] == {"name": None, "phone": None, "email": None}
    assert shown["description"] == f"{REDACTED}来电，备用电话 {REDACTED}，身份证{REDACTED}，包裹延误"
    assert result["attachments"] == [str(photo)]  # for the shop to delete from disk
    assert shown["status"] == "closed" and shown["category"] == "delay" and shown["satisfied"] is True
    assert shown["history"][-1]["action"] == "purge" and shown["purged_at"].startswith("2029-01-10")
    assert (
        "personal data removed on 2029-01-10 (retention)"
        in run(desk, "--as", "sue", "case", "show", old).stdout
    )
    assert _report(desk) == before  # volume, on-time, satisfaction, compensation paid: unchanged
    assert run(desk, "--as", "aud", "audit", "verify").exit_code == 0  # re-chained by kefu itself
    with sqlite3.connect(desk.path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the triggers are back
            conn.execute("UPDATE events SET note = 'x' WHERE id = 1")
    # Done once: a second run finds nothing; the desk log names the purge.
    with freeze_time(LATER):
        again = json.loads(run(desk, "purge", "--json").stdout)
    assert again["cases"] == 0
    with sqlite3.connect(desk.path) as conn:
        assert conn.execute("SELECT count(*) FROM desk_log WHERE kind = 'purge'").fetchone() == (1,)


def test_a_dry_run_lists_and_changes_nothing(desk: Desk) -> None:
    old = closed_case(desk, NOW)
    recent = closed_case(desk, NOW + timedelta(days=400), phone="13700003333", name="李雷")
    with freeze_time(LATER):
        done = run(desk, "purge", "--dry-run")
    assert done.exit_code == 0
    assert done.stdout.split() == [old]  # closed 2026-11-24; the other one 400 days later is kept
    assert "1 case(s) closed more than 730 day(s) ago (before 2027-01-11) would have" in done.stderr
    assert "王芳" in _everything(desk)
    with freeze_time(LATER):
        listed = json.loads(run(desk, "purge", "--older-than", "30", "--dry-run", "--json").stdout)
    assert listed["codes"] == [old, recent]


def test_a_customer_with_a_newer_case_keeps_it_and_repeats_still_link(desk: Desk) -> None:
    old = closed_case(desk, NOW)
    newer = closed_case(desk, NOW + timedelta(days=700))  # the same person, a year and more later
    with freeze_time(LATER):
        assert run(desk, "purge").exit_code == 0
    shown = json.loads(run(desk, "--as", "sue", "customer", "show", newer, "--json").stdout)
    assert [c["code"] for c in shown["cases"]] == [newer]  # the purged case no longer leads to them
    with desk.write() as session:
        again = intake.create_case(session=session, actor=desk.user("alice"), now=NOW + timedelta(days=701),
                                   channel="hotline", customer_phone="13812342222", description="又延误了",
                                   **TRIAGED)  # fmt: skip
        assert again.repeat_of == newer
    assert old not in json.dumps(shown)


def test_a_purge_refuses_a_history_altered_outside_kefu(desk: Desk) -> None:
    closed_case(desk, NOW)
    with sqlite3.connect(desk.path) as conn:
        conn.executescript(
            "DROP TRIGGER events_sealed_no_update; UPDATE events SET note = '已赔偿' WHERE id = 2;"
        )
    with freeze_time(LATER):
        done = run(desk, "purge")
    assert done.exit_code == 2 and "altered outside kefu: nothing purged" in done.stderr
    assert "王芳" in _everything(desk)


def test_only_admins_purge(desk: Desk) -> None:
    done = run(desk, "--as", "sue", "purge")
    assert done.exit_code == 2 and "may not purge personal data" in done.stderr
    for days in ("0", "740000", "99999999999999999999"):
        bad = run(desk, "purge", "--older-than", days)
        assert bad.exit_code == 2 and "must be from 1 to 36,500 days" in bad.stderr, bad.output
