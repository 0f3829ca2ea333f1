"""Merging a duplicate into its original (issue 11): the duplicate closes as merged through the
one status-change path; its history, contacts, attachments and links stay and are shown on
the original; the volume and repeat KPIs count the complaint once and its clocks count nowhere."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, Desk, make_cli_desk
from conftest import cli_run as run

from kefu.core import intake, lifecycle, reports, services, views
from kefu.core.errors import InvalidInput, Refused


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_cli_desk(tmp_path / "kefu.db")


_minutes = iter(range(1, 10_000))


def new(desk: Desk, **fields: Any) -> str:
    values = {"channel": "hotline", "description": "包裹三天没更新", **fields}
    with desk.write() as session:
        return intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW + timedelta(minutes=next(_minutes)), **values
        ).code


def move(desk: Desk, code: str, action: str, who: str = "carol", **fields: Any) -> None:
    with desk.write() as session:
        lifecycle.move_case(
            session=session, code=code, action=action, actor=desk.user(who),
            now=NOW + timedelta(minutes=next(_minutes)), **fields,
        )  # fmt: skip


def test_a_duplicate_is_merged_and_shown_on_its_original(desk: Desk, tmp_path: Path) -> None:
    original = new(desk, customer_phone="13812345678", customer_name="王芳", order_no="SF100")
    duplicate = new(desk, channel="online", customer_email="wang@example.com", customer_phone="13812345678",
                    description="同一个快递，邮件又投诉一次")  # fmt: skip
    photo = tmp_path / "box.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    with desk.write() as session:
        services.attach_file(session=session, code=duplicate, actor=desk.user("alice"), now=NOW, path=photo)
    move(desk, duplicate, "merge", into=original, note="同一包裹的重复投诉")
    with desk.read() as session:
        merged = lifecycle.get_case(session, duplicate)
        kept = lifecycle.get_case(session, original)
        shown = views.case_detail(session, kept, desk.user("sue"), NOW + timedelta(hours=1))
        gone = views.case_detail(session, merged, desk.user("sue"), NOW + timedelta(hours=1))
        last = lifecycle.case_events(session, kept)[-1]
    assert (merged.status, merged.close_reason) == ("closed", "merged")
    assert (kept.status, kept.close_reason) == ("new", None)
    assert (last.action, last.actor, last.changes, last.note) == (
        "link", "carol", {"merged_from": [None, duplicate]}, "同一包裹的重复投诉",
    )  # fmt: skip
    assert [(m.code, m.channel, m.customer.email) for m in shown.merged_cases] == [
        (duplicate, "online", "wang@example.com")
    ]
    [m] = shown.merged_cases
    assert [a.path for a in m.attachments] == [str(photo)]
    assert [e.action for e in m.history][-1] == "merge" and m.description.startswith("同一个快递")
    assert ("merged_of_this", duplicate) in {(link.kind, link.code) for link in shown.links}
    assert ("merged", original) in {(link.kind, link.code) for link in gone.links}
    assert gone.history[-1].changes["into"] == [None, original]
    assert shown.as_json()["merged_cases"][0]["code"] == duplicate
    # An analyst sees the merged case's contacts masked, as the case's own.
    with desk.read() as session:
        masked = views.case_detail(session, lifecycle.get_case(session, original), desk.user("ana"), NOW)
    assert masked.merged_cases[0].customer.phone not in (None, "13812345678")
    assert masked.merged_cases[0].order_no is None


def test_merge_is_refused_into_itself_into_a_merged_case_and_after_a_proposal(desk: Desk) -> None:
    first, second, third = new(desk), new(desk), new(desk)
    with desk.write() as session:
        with pytest.raises(InvalidInput, match="cannot be merged into itself"):
            lifecycle.move_case(session=session, code=first, action="merge", actor=desk.user("carol"),
                                now=NOW + timedelta(hours=1), into=first)  # fmt: skip
        session.rollback()
    move(desk, second, "merge", into=first)
    with desk.write() as session:
        with pytest.raises(Refused, match=f"{second} was itself merged into {first}: merge into {first}"):
            lifecycle.move_case(session=session, code=third, action="merge", actor=desk.user("carol"),
                                now=NOW + timedelta(hours=1), into=second)  # fmt: skip
        session.rollback()
    move(desk, third, "triage", category="delay", severity="P3", complexity="simple", party="courier",
         department="cs")  # fmt: skip
    move(desk, third, "claim", "alice")
    move(desk, third, "propose", "alice", resolution="apology")
    with desk.write() as session:
        with pytest.raises(Refused, match="cannot merge a case that is resolved"):
            lifecycle.move_case(session=session, code=third, action="merge", actor=desk.user("carol"),
                                now=NOW + timedelta(hours=1), into=first)  # fmt: skip
        with pytest.raises(Refused, match="an analyst may not merge"):
            lifecycle.move_case(session=session, code=first, action="merge", actor=desk.user("ana"),
                                now=NOW + timedelta(hours=1), into=first)  # fmt: skip


def test_the_kpis_count_a_merged_complaint_once(desk: Desk) -> None:
    """Three complaints from one phone: volume 3 and two repeats; after the third is merged into
    the second: volume 2, one repeat; its deadlines are in no on-time figure."""
    codes = [new(desk, customer_phone="13812345678") for _ in range(3)]
    period = reports.make_period(date(2026, 11, 1), date(2026, 11, 30), "Asia/Shanghai")
    later = NOW + timedelta(days=10)

    def figures() -> tuple[int, int, int, int]:
        with desk.read() as session:
            total = reports.kpi_report(session=session, actor=desk.user("ana"), period=period, by="category",
                                       now=later).total  # fmt: skip
            volume = sum(n for _, n in reports.volume_by_day(session, period))
        return total.volume, total.repeat.numerator, total.first_response.denominator, volume

    assert figures() == (3, 2, 3, 3)
    move(desk, codes[2], "merge", into=codes[1])
    assert figures() == (2, 1, 2, 2)


def test_the_cli_merges_and_shows_both_sides(desk: Desk) -> None:
    original = new(desk, customer_phone="13812345678")
    duplicate = new(desk, customer_phone="13812345678", channel="online")
    done = run(desk, "--as", "carol", "case", "move", duplicate, "merge", "--into", original.lower())
    assert done.exit_code == 0, done.output
    assert f"{duplicate}: merge → closed" in done.stdout
    shown = run(desk, "--as", "sue", "case", "show", original, lang="zh")
    assert f"合并到本工单：{duplicate}" in shown.stdout and "合并自" in shown.stdout
    document = json.loads(run(desk, "--as", "sue", "case", "show", duplicate, "--json").stdout)
    assert document["close_reason"] == "merged"
    assert {"kind": "merged", "code": original} in document["links"]
    missing = run(desk, "--as", "carol", "case", "move", original, "merge")
    assert missing.exit_code == 2 and "into" in missing.stderr


def test_merge_is_refused_across_customers_into_a_rejected_case_and_in_a_circle(desk: Desk) -> None:
    wang = new(desk, customer_phone="13812345678")
    li = new(desk, customer_phone="13900001111")
    same_order = new(desk, customer_phone="13700002222", order_no="SF100")
    order_original = new(desk, customer_phone="13600003333", order_no="sf-100")
    spam = new(desk, customer_phone="13812345678")
    move(desk, spam, "reject", reason="spam")
    at = NOW + timedelta(hours=1)
    with desk.write() as session:
        with pytest.raises(Refused, match=f"{li} and {wang} are not the same customer or order"):
            lifecycle.move_case(
                session=session, code=li, action="merge", actor=desk.user("carol"), now=at, into=wang
            )
        with pytest.raises(Refused, match=f"{spam} was rejected"):
            lifecycle.move_case(session=session, code=wang, action="merge", actor=desk.user("carol"), now=at,
                                into=spam)  # fmt: skip
        session.rollback()
    move(desk, same_order, "merge", into=order_original)  # one order, two people: one complaint
    with desk.write() as session:
        with pytest.raises(Refused, match=f"{same_order} was already merged into {order_original}"):
            lifecycle.move_case(session=session, code=order_original, action="merge",
                                actor=desk.user("carol"), now=at, into=same_order)  # fmt: skip


def test_a_merged_case_is_not_worked_again_and_its_clocks_read_cancelled(desk: Desk) -> None:
    original = new(desk, customer_phone="13812345678")
    duplicate = new(desk, customer_phone="13812345678")
    move(desk, duplicate, "merge", into=original)
    with desk.write() as session:
        with pytest.raises(
            Refused, match=f"{duplicate} was merged into {original}: reopen {original} instead"
        ):
            lifecycle.move_case(session=session, code=duplicate, action="reopen", actor=desk.user("sue"),
                                now=NOW + timedelta(hours=1), note="x")  # fmt: skip
        session.rollback()
    with desk.read() as session:
        case = lifecycle.get_case(session, duplicate)
        detail = views.case_detail(session, case, desk.user("sue"), NOW + timedelta(days=3))
    assert detail.allowed_actions == []
    assert {str(k): d.state for k, d in detail.deadlines.items()} == {
        "first_response": "none",
        "resolution": "none",
    }
