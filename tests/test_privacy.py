"""Personal data inside free text (issue 12): roles without personal data (analysts, auditors)
read descriptions, demands and notes with phone, ID and card numbers, e-mails and the
customer's name masked, cannot find a case by a number written in its text, and no number —
a short service number included — is shown whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NOW, Desk, make_cli_desk
from conftest import cli_run as run

from kefu.core import intake, lifecycle, queues, services, views

TEXT = (
    "王芳来电：电话13812345678，备用 138 1234 5679，座机010-88886666，身份证11010519900307123X，"
    "卡号6222 0212 3456 7890 123，邮箱wang.fang@example.com。2026-11-03 买了 299 元的羽绒服，订单SF100。"
)


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_cli_desk(tmp_path / "kefu.db")


@pytest.mark.parametrize(
    ("written", "masked"),
    [("电话13812345678", "电话138****5678"), ("138 1234 5679", "138****5679"),
     ("010-88886666", "010****6666"), ("11010519900307123X", "110***********123X"),
     ("6222 0212 3456 7890 123", "622************0123"),
     ("邮箱wang.fang@example.com", "邮箱w***@example.com"), ("客服95555", "客服9**55"),
     ("2026-11-03 买了 299 元", "2026-11-03 买了 299 元"), ("订单SF100", "订单SF100")],
)  # fmt: skip
def test_numbers_and_addresses_in_text_are_masked(written: str, masked: str) -> None:
    assert services.mask_text(written) == masked


def test_no_number_is_shown_whole() -> None:
    assert [services.mask_phone(p) for p in ("95555", "88886666", "13812345678", "1234")] == [
        "9**55", "8***6666", "138****5678", "****",
    ]  # fmt: skip


def _case(desk: Desk) -> str:
    with desk.write() as session:
        return intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description=TEXT,
            demand="退款到 wang.fang@example.com 绑定的账户", customer_name="王芳", customer_phone="95555",
        ).code  # fmt: skip


def test_an_analyst_reads_the_text_masked_and_a_supervisor_whole(desk: Desk) -> None:
    code = _case(desk)
    with desk.write() as session:
        services.add_note(session=session, code=code, actor=desk.user("alice"), now=NOW,
                          text="已回电 13812345678", contact=None, phrase=None)  # fmt: skip
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        analyst = views.case_detail(session, case, desk.user("ana"), NOW)
        supervisor = views.case_detail(session, case, desk.user("sue"), NOW)
    assert supervisor.description == TEXT
    for secret in ("13812345678", "88886666", "11010519900307123X", "wang.fang", "王芳", "95555"):
        assert secret not in json.dumps(analyst.as_json(), ensure_ascii=False), secret
    assert "2026-11-03 买了 299 元的羽绒服" in analyst.description and analyst.customer.phone == "9**55"
    assert analyst.history[-1].note == "已回电 138****5678"
    shown = run(desk, "--as", "aud", "case", "show", code)
    assert shown.exit_code == 0 and "13812345678" not in shown.stdout and "138****5678" in shown.stdout


def test_a_masked_role_cannot_find_a_case_by_a_number_in_its_text(desk: Desk) -> None:
    code = _case(desk)
    with desk.read() as session:
        for who, expected in (("ana", set()), ("sue", {code})):
            for needle in ("13812345678", "wang.fang@example.com", "88886666"):
                found = queues.search_cases(session, actor=desk.user(who), now=NOW, text=needle, limit=10)
                assert {r.code for r in found.rows} == expected, (who, needle)
        # Words still find it.
        words = queues.search_cases(session, actor=desk.user("ana"), now=NOW, text="羽绒服", limit=10)
    assert {r.code for r in words.rows} == {code}


# -- unmasked views are recorded ---------------------------------------------------------------


def _access(desk: Desk, *options: str) -> list[dict[str, str]]:
    done = run(desk, "--as", "aud", "audit", "access", "--json", *options)
    assert done.exit_code == 0, done.output
    return [
        {k: e[k] for k in ("user", "kind", "subject", "where") if k in e}
        for e in json.loads(done.stdout)["entries"]
    ]


def test_a_view_of_personal_data_by_someone_not_on_the_case_is_recorded(desk: Desk) -> None:
    """Who, when, which case: bob (another agent) and sue (a supervisor) looking at alice's case
    are recorded, newest first; alice (who recorded it) and the analyst (who sees it masked)
    are not; an unmasked export is recorded before a row is written."""
    code = _case(desk)
    for who in ("alice", "ana", "bob"):
        assert run(desk, "--as", who, "case", "show", code).exit_code == 0
    assert run(desk, "--as", "sue", "customer", "show", code, "--json").exit_code == 0
    assert run(desk, "--as", "sue", "report", "--by", "case", "--unmasked", "--format", "csv",
               "--from", "2026-11", "--to", "2026-11").exit_code == 0  # fmt: skip
    assert _access(desk) == [
        {"user": "sue", "kind": "export", "subject": "2026-11-01..2026-11-30"},
        {"user": "sue", "kind": "viewed", "subject": code, "where": "customer"},
        {"user": "bob", "kind": "viewed", "subject": code, "where": "case"},
    ]
    assert _access(desk, "--user", "bob") == [
        {"user": "bob", "kind": "viewed", "subject": code, "where": "case"}
    ]
    assert [e["user"] for e in _access(desk, "--case", code.lower())] == ["sue", "bob"]
    table = run(desk, "--as", "aud", "audit", "access", "--case", code)
    assert "case shown (kefu case show)" in table.stdout and "bob" in table.stdout
    refused = run(desk, "--as", "bob", "audit", "access")
    assert refused.exit_code == 2 and "may not read the record of who viewed personal data" in refused.stderr
    # The record is chained like the history: it verifies.
    assert run(desk, "--as", "aud", "audit", "verify").exit_code == 0


def test_opening_a_case_in_the_tui_is_recorded_once(tmp_path: Path) -> None:
    import asyncio

    from tui.conftest import make_app, open_case, settle

    desk = make_cli_desk(tmp_path / "kefu.db")
    code = _case(desk)
    app = make_app(desk, "sue")

    async def look() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_case(pilot, code)
            screen.reload()  # another desk's commit makes it reload: not a new view
            await settle(pilot)

    asyncio.run(look())
    assert _access(desk) == [{"user": "sue", "kind": "viewed", "subject": code, "where": "tui"}]


def test_a_look_up_and_a_customer_timeline_are_recorded_for_every_case_shown(desk: Desk) -> None:
    first = _case(desk)
    second = _case(desk)  # the same customer (95555) again
    assert run(desk, "--as", "bob", "case", "list", "--search", "95555", "--json").exit_code == 0
    assert run(desk, "--as", "bob", "case", "list", "--json").exit_code == 0  # a plain list: not a look-up
    looked = _access(desk, "--user", "bob")
    assert sorted(e["subject"] for e in looked) == sorted([first, second])
    assert {e["where"] for e in looked} == {"search"}
    assert run(desk, "--as", "sue", "customer", "show", first).exit_code == 0
    assert sorted(e["subject"] for e in _access(desk, "--user", "sue")) == sorted([first, second])
    assert "found by a search" in run(desk, "--as", "aud", "audit", "access").stdout
