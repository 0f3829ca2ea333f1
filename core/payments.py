"""The compensation ledger: every amount a case offered (and paid) its customer, as rows.

A proposal with an amount adds one row. It is offered to the customer at once when the case's
paid total with it stays within the policy's `approval_threshold` (or a supervisor proposed it);
otherwise it is pending until a supervisor approves (offered) or denies it (denied). The offer
is paid when the customer accepts it: a satisfied confirmation, or the confirmation window
passing (`close`). An unsatisfied customer, or a reopen before the answer, leaves it not taken
up (declined). What was paid stays paid through a later reopen or an unsatisfied revisit: the
next proposal adds to the total, and the threshold applies to the total, so 300 + 300 against a
threshold of 300 needs an approval. A payment recorded as paid but never made is voided by a
supervisor with a reason (`services.void_payment`), an `update` event in the case's history.

`follow` is the one rule that moves a row with its case's status change; it is called from
the one status-change path (`lifecycle._apply`). Totals (the case screen, the customer's
timeline) and the report's compensation figures sum the paid rows, dated by when each was paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from .models import Case, Payment
from .workflow import SUPERVISING, PaymentStatus, Status


def needs_approval(*, threshold: float, paid_so_far: float, amount: float, role: str) -> bool:
    """Whether a proposal of `amount` waits for a supervisor: the case's paid total with it goes
    over the threshold and the proposer is not one."""
    return bool(amount) and round(paid_so_far + amount, 2) > threshold and role not in SUPERVISING


def ledger(session: Session, case_id: int | None) -> list[Payment]:
    """The case's payments, oldest first."""
    return list(
        session.exec(select(Payment).where(Payment.case_id == case_id).order_by(col(Payment.no))).all()
    )


def paid_total(session: Session, case_id: int | None) -> float:
    """What the case has paid its customer."""
    return paid_totals(session, [case_id]).get(case_id or 0, 0.0)


def paid_of(rows: Iterable[tuple[str, float]]) -> float:
    """The paid total of ledger rows already read, as (status, amount)."""
    return round(sum(amount for status, amount in rows if status == PaymentStatus.PAID), 2)


def paid_totals(session: Session, case_ids: Iterable[int | None]) -> dict[int, float]:
    """Paid totals per case id (cases that paid nothing are left out)."""
    ids = [i for i in case_ids if i is not None]
    if not ids:
        return {}
    rows = session.exec(
        select(Payment.case_id, func.sum(Payment.amount))
        .where(col(Payment.case_id).in_(ids), Payment.status == PaymentStatus.PAID)
        .group_by(col(Payment.case_id))
    ).all()
    return {case_id: round(float(total or 0), 2) for case_id, total in rows}


def open_row(session: Session, case_id: int | None) -> Payment | None:
    """The payment still waiting for an answer (pending approval, or offered), if any: a case
    has at most one, as it has at most one proposal at a time."""
    return session.exec(
        select(Payment).where(
            Payment.case_id == case_id,
            col(Payment.status).in_([PaymentStatus.PENDING, PaymentStatus.OFFERED]),
        )
    ).first()


def add(
    session: Session,
    case: Case,
    *,
    amount: float,
    kind: str | None,
    actor: str,
    now: datetime,
    approved: bool,
) -> Payment:
    """The row of the case's new proposal: offered now (`approved`), or pending approval."""
    last = session.exec(select(func.max(Payment.no)).where(Payment.case_id == case.id)).one()
    assert case.id is not None
    row = Payment(
        case_id=case.id,
        no=int(last or 0) + 1,
        amount=amount,
        kind=kind,
        resolution=case.resolution,
        status=PaymentStatus.OFFERED if approved else PaymentStatus.PENDING,
        proposed_by=actor,
        proposed_at=now,
        approved_by=actor if approved else None,
        approved_at=now if approved else None,
    )
    session.add(row)
    return row


ANSWERED_FROM = (Status.PENDING_APPROVAL, Status.RESOLVED)
"""The statuses whose leaving answers the open row (approval; the customer's answer)."""


def follow(
    session: Session, case: Case, before: str, to: str, *, actor: str, now: datetime, note: str | None
) -> dict[str, tuple[Any, Any]]:
    """Move the case's open row with its status change `before` -> `to` (in the caller's
    transaction); returns the changes for the event (the paid total when it grows).

    Out of pending approval: to resolved it is offered (approved by `actor`), anywhere else it
    is denied. Out of resolved: to closed it is paid, anywhere else it is declined."""
    if before == to or before not in ANSWERED_FROM:
        return {}
    row = open_row(session, case.id)
    if row is None:
        return {}
    changes: dict[str, tuple[Any, Any]] = {}
    if before == Status.PENDING_APPROVAL:
        if to == Status.RESOLVED:
            row.status, row.approved_by, row.approved_at = PaymentStatus.OFFERED, actor, now
        else:
            row.status, row.closed_by, row.closed_at, row.note = PaymentStatus.DENIED, actor, now, note
    elif to == Status.CLOSED:
        paid = paid_total(session, case.id)
        row.status, row.paid_at = PaymentStatus.PAID, now
        changes["compensation_total"] = (paid, round(paid + row.amount, 2))
    else:
        row.status, row.closed_by, row.closed_at = PaymentStatus.DECLINED, actor, now
    session.add(row)
    return changes
