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
