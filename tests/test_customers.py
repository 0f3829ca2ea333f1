"""One customer per person (kefu.core.customers): the spellings of one phone number, of one
order or waybill number, are one on every path — typed in, imported, searched, migrated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from conftest import NOW, Desk, make_desk
from conftest import cli_run as run
from freezegun import freeze_time
from sqlalchemy import text

from kefu.core import db as kdb
from kefu.core import importer, intake, lifecycle, queues, services
from kefu.core.customers import order_key, phone_key
from kefu.core.errors import InvalidInput
from kefu.core.identity import os_login

SAME_MOBILE = [
    "+86 138 1234 5678",
    "0086 13812345678",
    "１３８１２３４５６７８",
    "138-1234-5678",
    "13812345678",
]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        *((s, "13812345678") for s in SAME_MOBILE),
        ("010-8888 6666", "01088886666"),
        ("+86 10 8888 6666", "01088886666"),
        ("010 8888 6666 转 123", "01088886666-123"),
        ("(021)62345678 ext 45", "02162345678-45"),
        ("400-820-8820", "4008208820"),
        ("800 810 8888", "8008108888"),
        ("95555", "95555"),
        ("+1 650 253 0000", "+16502530000"),
        ("88886666", "88886666"),  # a local landline without its area code is kept as written
    ],
)
def test_a_number_has_one_canonical_form(written: str, stored: str) -> None:
    assert phone_key(written) == stored


# A letter for a digit, words, too short, too long; a mobile one digit too long or short; a
# Shenzhen landline one digit short (its numbers have eight).
@pytest.mark.parametrize(
    "written",
    ["143815O2490", "hello", "12", "1381234567890123456", "138123456789", "1381234567", "0755-1234567"],
)
def test_what_is_not_a_number_is_refused(written: str, desk: Desk) -> None:
    assert phone_key(written) is None
    with desk.write() as session, pytest.raises(InvalidInput) as refused:
        intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="x",
            customer_phone=written,
        )  # fmt: skip
    assert refused.value.field == "customer_phone"


def test_orders_compare_without_case_spaces_or_dashes() -> None:
    assert order_key("sf 100-2") == order_key("SF1002") == order_key("ＳＦ１００２") == "SF1002"


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = make_desk(tmp_path / "kefu.db")
    with desk.write() as session:  # the OS user runs the CLI as admin (and --as others)
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
    return desk


def _new(desk: Desk, **fields: object) -> str:
    with desk.write() as session:
        return intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="又来了",
            **fields,  # type: ignore[arg-type]
        ).code  # fmt: skip


def test_every_spelling_is_one_customer_linked_and_found(desk: Desk) -> None:
    codes = [_new(desk, customer_phone=p) for p in SAME_MOBILE]
    with desk.read() as session:
        cases = [lifecycle.get_case(session, c) for c in codes]
        assert {c.customer_phone for c in cases} == {"13812345678"}
        # Each later one is a repeat of the one before: the person was recognised every time.
        assert [c.repeat_of for c in cases[1:]] == codes[:-1]
        for spelling in [*SAME_MOBILE, "1234 5678"]:
            found = queues.search_cases(session, actor=desk.user("alice"), now=NOW, text=spelling, limit=50)
            assert {r.code for r in found.rows} == set(codes), spelling
    order_codes = [_new(desk, order_no=o) for o in ("sf100", "SF 100", "SF-100")]
    with desk.read() as session:
        assert lifecycle.get_case(session, order_codes[2]).repeat_of == order_codes[1]
        assert lifecycle.get_case(session, order_codes[0]).order_no == "SF100"


def test_an_import_stores_the_same_customer(desk: Desk, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "工单号,渠道,投诉时间,投诉内容,联系电话,运单号\n"
        "1,hotline,2026-11-20 09:00,件没到,+86 138 1234 5678,sf 100\n"
        "2,hotline,2026-11-21 09:00,还没到,0086-138-1234-5678,SF100\n",
        encoding="utf-8",
    )
    with freeze_time(NOW):
        result = run(desk, "import", str(source), "--json")
    assert result.exit_code == 0, result.output
    with desk.read() as session:
        rows = session.execute(
            text("SELECT customer_phone, order_no, repeat_of IS NOT NULL FROM cases ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [("13812345678", "SF100", 0), ("13812345678", "SF100", 1)]


def test_an_existing_desk_is_renormalised(desk: Desk) -> None:
    code = _new(desk, customer_phone="13812345678", order_no="SF100")
    with desk.write() as session:  # as an earlier kefu stored them
        session.execute(text("UPDATE cases SET customer_phone = '+8613812345678', order_no = 'sf 100'"))
    command.downgrade(kdb._alembic_config(desk.engine.execution_options(kefu_migrate=True)), "0008")
    desk.engine.dispose()
    desk.engine = kdb.open_database(str(desk.path))
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        assert (case.customer_phone, case.order_no) == ("13812345678", "SF100")


def test_an_existing_desk_gets_the_repeat_links_kefu_now_makes(desk: Desk) -> None:
    """Before: two spellings of one number were two customers, and a backdated entry was
    never linked to the later case stored before it."""
    from datetime import timedelta

    first = _new(desk, customer_phone="13812345678", received_at=NOW - timedelta(days=3))
    second = _new(desk, customer_phone="13912345678", received_at=NOW - timedelta(days=1))
    newer = _new(desk, customer_phone="13700001111", received_at=NOW - timedelta(days=1))
    older = _new(desk, customer_phone="13600001111", received_at=NOW - timedelta(days=5))
    with desk.write() as session:  # as an earlier kefu stored them
        session.execute(
            text(f"UPDATE cases SET customer_phone = '+86 138 1234 5678' WHERE code = '{second}'")
        )
        session.execute(text(f"UPDATE cases SET customer_phone = '13700001111' WHERE code = '{older}'"))
        session.execute(text("DELETE FROM case_links"))
        session.execute(text("UPDATE cases SET repeat_of = NULL"))
    command.downgrade(kdb._alembic_config(desk.engine.execution_options(kefu_migrate=True)), "0008")
    desk.engine.dispose()
    desk.engine = kdb.open_database(str(desk.path))
    with desk.read() as session:
        assert lifecycle.get_case(session, second).repeat_of == first
        assert lifecycle.get_case(session, newer).repeat_of == older
        assert lifecycle.get_case(session, first).repeat_of is None
        events = lifecycle.case_events(session, lifecycle.get_case(session, newer))
        assert events[-1].action == "link" and events[-1].changes == {"repeat_of": [None, older]}
        assert events[-1].actor == "kefu"


def test_the_cli_shows_the_canonical_number(desk: Desk) -> None:
    with freeze_time(NOW):
        out = run(desk, "--as", "alice", "case", "new", "--channel", "hotline", "-d", "x",
                  "--phone", "+86 138 1234 5678", "--json")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["customer"]["phone"] == "13812345678"


# -- repeats do not depend on the order of entry ----------------------------------------------


def _rows(order: list[int]) -> str:
    """Complaints of three callers over two weeks (one spelled three ways), in `order`."""
    base = [
        ("1", "2026-11-02 09:00", "+86 138 1234 5678", ""),
        ("2", "2026-11-05 09:00", "13812345678", ""),
        ("3", "2026-11-09 09:00", "0086 138-1234-5678", ""),
        ("4", "2026-11-03 10:00", "13900001111", "YT100"),
        ("5", "2026-11-06 10:00", "", "yt 100"),
        ("6", "2026-11-04 11:00", "13700002222", ""),
        ("7", "2026-11-20 11:00", "13700002222", ""),
    ]
    lines = ["工单号,渠道,投诉时间,投诉内容,联系电话,运单号"]
    lines += [f"{base[i][0]},hotline,{base[i][1]},又来投诉,{base[i][2]},{base[i][3]}" for i in order]
    return "\n".join(lines) + "\n"


def _repeats(tmp_path: Path, name: str, order: list[int], batch: int) -> tuple[set[tuple[str, str]], object]:
    desk = make_desk(tmp_path / f"{name}.db")
    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
    source = tmp_path / f"{name}.csv"
    source.write_text(_rows(order), encoding="utf-8")
    done = importer.import_file(
        engine=desk.engine,
        actor=desk.user("admin"),
        now=NOW,
        options=importer.ImportOptions(path=source, batch_size=batch),
    )
    assert (done.imported, done.rejected) == (7, 0)
    with freeze_time(NOW):
        report = run(desk, "--as", "ana", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    with desk.read() as session:
        pairs = session.execute(
            text(
                "SELECT c.external_id, e.external_id FROM cases c JOIN case_links l ON l.case_id = c.id "
                "JOIN cases e ON e.id = l.other_id"
            )
        ).all()
        repeat_of = session.execute(
            text("SELECT c.external_id, e.external_id FROM cases c JOIN cases e ON e.code = c.repeat_of")
        ).all()
    desk.engine.dispose()
    return {tuple(p) for p in pairs} | {("of", *p) for p in repeat_of}, json.loads(report.stdout)["total"][
        "repeat"
    ]


@pytest.mark.parametrize("seed", range(4))
def test_the_repeat_rate_is_the_same_for_any_import_order(tmp_path: Path, seed: int) -> None:
    import random

    oldest_first = [0, 3, 5, 1, 4, 2, 6]
    shuffled = list(range(7))
    random.Random(seed).shuffle(shuffled)
    want, rate = _repeats(tmp_path, "ordered", oldest_first, 1000)
    assert rate == {"numerator": 4, "denominator": 7, "percent": 57.1}  # 2, 3, 5 and 7 repeat
    for batch in (1000, 2):
        got, shuffled_rate = _repeats(tmp_path, f"shuffled{batch}", shuffled, batch)
        assert (got, shuffled_rate) == (want, rate), (shuffled, batch)
    newest_first = list(reversed(oldest_first))
    assert _repeats(tmp_path, "reversed", newest_first, 1000) == (want, rate)


# -- the customer record and timeline ---------------------------------------------------------


def test_one_record_per_person_typed_in_or_imported(desk: Desk, tmp_path: Path) -> None:
    typed = [
        _new(desk, customer_phone=p, customer_name=n)
        for p, n in (("+86 138 1234 5678", "王"), ("13812345678", "王女士"))
    ]
    mailed = _new(desk, customer_email="Wang@Example.com")
    source = tmp_path / "in.csv"
    source.write_text(
        "工单号,渠道,投诉时间,投诉内容,联系电话,邮箱\n"
        "1,hotline,2026-11-21 09:00,还没到,0086 138-1234-5678,\n"
        "2,hotline,2026-11-21 10:00,邮件投诉,,wang@example.com\n"
        "3,hotline,2026-11-21 11:00,新客户,13900001111,\n",
        encoding="utf-8",
    )
    with freeze_time(NOW):
        assert run(desk, "import", str(source)).exit_code == 0
    with desk.read() as session:
        rows = session.execute(text("SELECT code, customer_id FROM cases ORDER BY id")).all()
        customers = session.execute(text("SELECT id, phone, email, name FROM customers ORDER BY id")).all()
    ids = [customer_id for _code, customer_id in rows]
    assert ids[0] == ids[1] == ids[3]  # one phone, four spellings, typed and imported
    assert ids[2] == ids[4] and ids[2] != ids[0]  # the e-mail, in two cases
    assert len(customers) == 3 and customers[0][1:] == ("13812345678", None, "王女士")
    with freeze_time(NOW):
        shown = json.loads(run(desk, "--as", "alice", "customer", "show", "138 1234 5678", "--json").stdout)
    assert [c["code"] for c in shown["cases"]][:2] == typed[::-1]  # newest first
    assert (shown["total_cases"], shown["open_cases"], shown["customer"]["phone"]) == (3, 3, "13812345678")
    with freeze_time(NOW):
        case = json.loads(run(desk, "--as", "alice", "case", "show", typed[1], "--json").stdout)
    assert case["customer_case_count"] == 3
    assert {c["code"] for c in case["customer_cases"]} == {typed[0], rows[3][0]}
    assert mailed


def test_an_analyst_looks_a_customer_up_by_case_code_only(desk: Desk) -> None:
    code = _new(desk, customer_phone="13812345678", customer_name="王五")
    with freeze_time(NOW):
        refused = run(desk, "--as", "ana", "customer", "show", "13812345678")
        masked = json.loads(run(desk, "--as", "ana", "customer", "show", code, "--json").stdout)
        missing = run(desk, "--as", "alice", "customer", "show", "13000000000")
    assert refused.exit_code == 2 and "by case code only" in refused.stderr
    assert masked["customer"]["phone"] != "13812345678" and masked["total_cases"] == 1
    assert missing.exit_code == 2 and "no case and no customer" in missing.stderr


def test_an_existing_desk_gets_its_customer_records(desk: Desk) -> None:
    first = _new(desk, customer_phone="13812345678", customer_name="王")
    second = _new(desk, customer_phone="13812345678", customer_name="王女士")
    third = _new(desk, customer_email="a@b.cn")
    command.downgrade(kdb._alembic_config(desk.engine.execution_options(kefu_migrate=True)), "0009")
    desk.engine.dispose()
    desk.engine = kdb.open_database(str(desk.path))
    with desk.read() as session:
        ids = {c: lifecycle.get_case(session, c).customer_id for c in (first, second, third)}
        names = session.execute(text("SELECT phone, email, name FROM customers ORDER BY id")).all()
    assert ids[first] == ids[second] != ids[third] and None not in ids.values()
    assert [tuple(n) for n in names] == [("13812345678", None, "王女士"), (None, "a@b.cn", None)]


def test_a_landline_is_found_with_and_without_its_extension(desk: Desk) -> None:
    plain = _new(desk, customer_phone="010-8888 6666")
    extended = _new(desk, customer_phone="010 8888 6666 转 123")
    with desk.read() as session:
        found = queues.search_cases(session, actor=desk.user("alice"), now=NOW, text="01088886666", limit=50)
        only = queues.search_cases(
            session, actor=desk.user("alice"), now=NOW, text="010-88886666-123", limit=50
        )
    assert {r.code for r in found.rows} == {plain, extended}
    assert {r.code for r in only.rows} == {extended}


def test_a_local_number_finds_the_line_with_its_area_code_too(desk: Desk) -> None:
    """88886666 written alone on one case and with 010 on others: a search for the local number
    finds them all (in the TUI and `case list --search` alike), not only the exact one."""
    local = _new(desk, customer_phone="8888 6666")
    with_area = _new(desk, customer_phone="010-8888 6666")
    extended = _new(desk, customer_phone="010 8888 6666 转 123")
    with desk.read() as session:
        found = queues.search_cases(session, actor=desk.user("alice"), now=NOW, text="88886666", limit=50)
        listed, _ = queues.list_cases(
            session, actor=desk.user("alice"), flt=queues.CaseFilter(text="8888-6666"), limit=50
        )
    assert {r.code for r in found.rows} == {c.code for c in listed} == {local, with_area, extended}
