"""Compensation as a ledger (issue 11): every proposal with an amount is a row; the approval
threshold applies to the case's paid total; what the customer accepted is paid and stays paid
through a reopen; an offer not taken up is never counted; reports and the customer timeline
sum the paid rows; a supervisor voids a payment that was never made, with a reason; existing
desks get their ledger rebuilt from the history."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from conftest import NOW, Desk, make_cli_desk
from conftest import cli_run as run

from kefu.core import db as kdb
from kefu.core import intake, lifecycle, payments, reports, services, views
from kefu.core.errors import InvalidInput, NotFound, PermissionDenied
from kefu.core.models import Payment

THRESHOLD = 200  # tests/data/mini.toml


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_cli_desk(tmp_path / "kefu.db")


_minutes = iter(range(1, 10_000))


def move(desk: Desk, code: str, action: str, who: str, **fields: Any) -> str:
    with desk.write() as session:
        case = lifecycle.move_case(
            session=session, code=code, action=action, actor=desk.user(who),
            now=NOW + timedelta(minutes=next(_minutes)), **fields,
        )  # fmt: skip
        return case.status


def in_progress(desk: Desk, phone: str = "13812345678") -> str:
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="羽绒服掉毛",
            customer_phone=phone, category="delay", severity="P3", party="courier", department="cs",
        ).code  # fmt: skip
    move(desk, code, "claim", "alice")
    return code


def pay(desk: Desk, code: str, amount: float, who: str = "alice") -> str:
    return move(
        desk, code, "propose", who, resolution="compensation", amount=amount, compensation_kind="cash"
    )


def ledger(desk: Desk, code: str) -> list[tuple[int, float, str, str | None]]:
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        return [(p.no, p.amount, p.status, p.approved_by) for p in payments.ledger(session, case.id)]


def paid(desk: Desk, code: str) -> float:
    with desk.read() as session:
        return payments.paid_total(session, lifecycle.get_case(session, code).id)


def test_two_payments_across_a_reopen_are_both_kept(desk: Desk) -> None:
    """The livestream case: refunded 150, later compensated 50 more; both paid, total 200."""
    code = in_progress(desk)
    assert pay(desk, code, 150) == "resolved"
    move(desk, code, "confirm", "alice", satisfied="yes")
    move(desk, code, "reopen", "alice", note="还有异味")
    assert pay(desk, code, 50) == "resolved"  # 150 + 50 = 200: within the threshold
    move(desk, code, "confirm", "alice", satisfied="yes")
    assert ledger(desk, code) == [(1, 150.0, "paid", "alice"), (2, 50.0, "paid", "alice")]
    assert paid(desk, code) == 200.0
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        detail = views.case_detail(session, case, desk.user("sue"), NOW + timedelta(days=1))
        last = lifecycle.case_events(session, case)[-1]
    assert detail.compensation_paid == 200.0 and [p.no for p in detail.payments] == [1, 2]
    assert detail.as_json()["compensation"]["paid_total"] == 200.0
    assert last.changes["compensation_total"] == [150.0, 200.0]


def test_the_threshold_applies_to_the_running_total(desk: Desk) -> None:
    """150 paid, then 150 more: 300 is over 200, so the second waits for a supervisor."""
    code = in_progress(desk)
    pay(desk, code, 150)
    move(desk, code, "confirm", "alice", satisfied="yes")
    move(desk, code, "reopen", "alice", note="客户不满意")
    assert pay(desk, code, 150) == "pending_approval"
    assert ledger(desk, code)[-1] == (2, 150.0, "pending", None)
    assert move(desk, code, "approve", "sue") == "resolved"
    assert ledger(desk, code)[-1] == (2, 150.0, "offered", "sue")
    assert paid(desk, code) == 150.0  # offered, not yet accepted
    move(desk, code, "confirm", "alice", satisfied="yes")
    assert paid(desk, code) == 300.0
    # A supervisor's own proposal needs nobody's approval.
    other = in_progress(desk, phone="13900001111")
    assert pay(desk, other, 500, who="sue") == "resolved"
    assert ledger(desk, other) == [(1, 500.0, "offered", "sue")]


def test_an_offer_not_taken_up_is_never_paid(desk: Desk) -> None:
    """The express sample k07: 36 offered and refused, then 180 accepted: 180 paid, and the
    refused offer does not count toward the threshold."""
    code = in_progress(desk)
    pay(desk, code, 36)
    assert move(desk, code, "confirm", "alice", satisfied="no", note="不接受") == "in_progress"
    assert pay(desk, code, 180) == "resolved"  # 180 alone, not 216: no approval
    move(desk, code, "confirm", "alice", satisfied="yes")
    assert [(no, status) for no, _, status, _ in ledger(desk, code)] == [(1, "declined"), (2, "paid")]
    assert paid(desk, code) == 180.0
    # Reopened before the customer answered: withdrawn (not taken up); denied stays denied.
    other = in_progress(desk, phone="13900002222")
    pay(desk, other, 50)
    move(desk, other, "reopen", "alice", note="方案有误")
    pay(desk, other, 300)
    move(desk, other, "deny", "sue", note="超标")
    assert [s for _, _, s, _ in ledger(desk, other)] == ["declined", "denied"]
    assert paid(desk, other) == 0.0


def test_no_answer_within_the_window_pays_the_offer(desk: Desk) -> None:
    from kefu.core import slacheck

    code = in_progress(desk)
    pay(desk, code, 80)
    slacheck.check_sla(engine=desk.engine, actor=desk.user("admin"), now=NOW + timedelta(days=30))
    assert ledger(desk, code)[0][2] == "paid"


def test_reports_and_the_timeline_sum_the_ledger(desk: Desk) -> None:
    first = in_progress(desk)
    pay(desk, first, 150)
    move(desk, first, "confirm", "alice", satisfied="yes")
    move(desk, first, "reopen", "alice", note="again")
    pay(desk, first, 30)
    move(desk, first, "confirm", "alice", satisfied="yes")
    second = in_progress(desk)  # the same customer
    pay(desk, second, 20)
    move(desk, second, "confirm", "alice", satisfied="no", note="嫌少")
    period = reports.make_period(date(2026, 11, 1), date(2026, 11, 30), "Asia/Shanghai")
    with desk.read() as session:
        report = reports.kpi_report(
            session=session, actor=desk.user("ana"), period=period, by="category", now=NOW + timedelta(days=2)
        )
        timeline = views.customer_detail(session, lifecycle.get_case(session, second), desk.user("sue"))
        rows = list(
            reports.case_rows(
                session=session, actor=desk.user("sue"), period=period, now=NOW + timedelta(days=2)
            )
        )
    assert report.total.compensation == {"cash": (180.0, 1)}  # two payments, one case
    assert timeline.compensation_paid == 180.0
    assert {c.code: c.compensation_paid for c in timeline.cases} == {first: 180.0, second: 0.0}
    assert {r["code"]: r["compensation_paid"] for r in rows} == {first: 180.0, second: 0.0}


def test_a_supervisor_voids_a_payment_never_made(desk: Desk) -> None:
    code = in_progress(desk)
    pay(desk, code, 120)
    move(desk, code, "confirm", "alice", satisfied="yes")
    later = NOW + timedelta(days=1)
    with desk.write() as session:
        with pytest.raises(PermissionDenied, match="may not void a payment"):
            services.void_payment(
                session=session, code=code, no=1, actor=desk.user("alice"), now=later, note="x"
            )
        with pytest.raises(InvalidInput, match="say why payment 1"):
            services.void_payment(
                session=session, code=code, no=1, actor=desk.user("sue"), now=later, note=" "
            )
        with pytest.raises(NotFound, match="no payment 7"):
            services.void_payment(
                session=session, code=code, no=7, actor=desk.user("sue"), now=later, note="x"
            )
        session.rollback()
    with desk.write() as session:
        services.void_payment(
            session=session, code=code, no=1, actor=desk.user("sue"), now=later, note="退款失败"
        )
    assert ledger(desk, code) == [(1, 120.0, "void", "alice")] and paid(desk, code) == 0.0
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        event = lifecycle.case_events(session, case)[-1]
        row = session.get(Payment, 1)
    assert (event.action, event.actor, event.note) == ("update", "sue", "退款失败")
    assert event.changes["compensation_total"] == [120.0, 0.0]
    assert row is not None and (row.closed_by, row.note) == ("sue", "退款失败")
    with desk.write() as session:
        with pytest.raises(InvalidInput, match="payment 1 is void"):
            services.void_payment(
                session=session, code=code, no=1, actor=desk.user("sue"), now=later, note="x"
            )


def test_the_cli_shows_the_ledger_and_voids(desk: Desk) -> None:
    code = in_progress(desk)
    pay(desk, code, 150)
    move(desk, code, "confirm", "alice", satisfied="no", note="嫌少")
    pay(desk, code, 180)
    move(desk, code, "confirm", "alice", satisfied="yes")
    shown = run(desk, "--as", "sue", "case", "show", code)
    assert shown.exit_code == 0, shown.output
    assert "Compensation paid: 180 CNY (ledger):" in shown.stdout
    assert "#1  150 CNY  Cash  declined" in shown.stdout and "#2  180 CNY  Cash  paid" in shown.stdout
    document = json.loads(run(desk, "--as", "sue", "case", "show", code, "--json").stdout)
    assert [(p["no"], p["status"]) for p in document["payments"]] == [(1, "declined"), (2, "paid")]
    refused = run(desk, "--as", "alice", "case", "void-payment", code, "2", "--note", "x")
    assert refused.exit_code == 2 and "may not void a payment" in refused.stderr
    voided = run(desk, "--as", "sue", "case", "void-payment", code, "2", "--note", "银行退回")
    assert voided.exit_code == 0 and "paid total 180 -> 0 CNY" in voided.stdout
    chinese = run(desk, "--as", "sue", "case", "show", code, lang="zh")
    assert "已付补偿：0 CNY（补偿记录）" in chinese.stdout and "已作废" in chinese.stdout


def test_an_existing_desk_gets_its_ledger_from_the_history(desk: Desk) -> None:
    """Before the ledger, a second proposal overwrote the first on the case: the migration
    rebuilds both rows from the events, with the statuses kefu keeps now."""
    code = in_progress(desk)
    pay(desk, code, 150)
    move(desk, code, "confirm", "alice", satisfied="yes")
    move(desk, code, "reopen", "alice", note="again")
    pay(desk, code, 300)
    move(desk, code, "approve", "sue")
    waiting = in_progress(desk, phone="13900003333")
    pay(desk, waiting, 900)
    before = ledger(desk, code), ledger(desk, waiting)
    command.downgrade(kdb._alembic_config(desk.engine.execution_options(kefu_migrate=True)), "0010")
    desk.engine.dispose()
    desk.engine = kdb.open_database(str(desk.path))
    assert (ledger(desk, code), ledger(desk, waiting)) == before
    assert before == (
        [(1, 150.0, "paid", "alice"), (2, 300.0, "offered", "sue")],
        [(1, 900.0, "pending", None)],
    )
