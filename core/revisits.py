"""Revisits (回访): which follow-up calls are due, for cron and for the agents' queue.

Closing a case (confirmed, or unanswered past the confirmation window) schedules a revisit at
the policy's delay (`lifecycle.schedule_revisit`). `mark_due_revisits` — `kefu revisit schedule`
from cron — turns scheduled revisits whose time has come into `due` ones, and cancels those
whose case was reopened meanwhile; `due_revisits` lists the queue. The call's outcome is
recorded with the `revisit` transition (`kefu case move CODE revisit --outcome ...`).

Revisit states: scheduled → due → done | unreachable; an unreachable call short of the
policy's attempts goes back to scheduled at `retry_after`; cancelled when the case reopens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from . import services, views
from .lifecycle import cancel_revisit
from .messages import Message
from .models import Case, Revisit, User
from .policies import case_profile
from .workflow import REVISIT_WAITING, SUPERVISING, RevisitStatus, Status


@dataclass
class ScheduleRun:
    """What one `kefu revisit schedule` changed."""

    as_of: datetime
    became_due: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


def mark_due_revisits(
    *, session: Session, actor: User, now: datetime, as_of: datetime | None = None
) -> ScheduleRun:
    """Make scheduled revisits whose time has come (by `as_of`, default now) visible as due;
    cancel waiting revisits whose case is no longer closed. Admins and supervisors only."""
    services.require_role(actor, SUPERVISING, Message("do.schedule_revisits"))
    as_of = services.check_as_of(as_of, now, Message("as_of.revisits_past_only"))
    run = ScheduleRun(as_of=as_of)
    reopened = session.exec(
        select(Revisit, Case.code)
        .join(Case, col(Case.id) == col(Revisit.case_id))
        .where(col(Revisit.status).in_(REVISIT_WAITING), col(Case.status) != Status.CLOSED)
    ).all()
    for revisit, code in reopened:  # reopened before a reopen cancelled its revisit at once
        cancel_revisit(session, revisit, now)
        run.cancelled.append(code)
    ready = session.exec(
        select(Revisit, Case.code)
        .join(Case, col(Case.id) == col(Revisit.case_id))
        .where(
            col(Revisit.status) == RevisitStatus.SCHEDULED,
            col(Revisit.due_at) <= as_of,
            col(Case.status) == Status.CLOSED,
        )
        .order_by(col(Revisit.due_at), col(Revisit.id))
    ).all()
    for revisit, code in ready:
        revisit.status = RevisitStatus.DUE
        revisit.updated_at = now
        run.became_due.append(code)
    session.flush()
    return run


@dataclass(frozen=True)
class DueRevisit:
    """One revisit call due (times in the case's zone), as the viewer may see the customer."""

    code: str
    customer: views.CustomerView
    due_at: datetime
    attempts: int
    attempts_allowed: int
    owner: str | None
    department: str | None
    close_reason: str | None
    closed_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "customer": self.customer.as_json(),
            "due_at": self.due_at.isoformat(timespec="seconds"),
            "attempts": self.attempts,
            "attempts_allowed": self.attempts_allowed,
            "owner": self.owner,
            "department": self.department,
            "close_reason": self.close_reason,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(timespec="seconds"),
        }


def due_revisits(session: Session, viewer: User, *, limit: int = 1000) -> list[DueRevisit]:
    """The revisit queue: due calls, oldest first, customers masked as the viewer's role needs."""
    rows = session.exec(
        select(Revisit, Case)
        .join(Case, col(Case.id) == col(Revisit.case_id))
        .where(col(Revisit.status) == RevisitStatus.DUE, col(Case.status) == Status.CLOSED)
        .order_by(col(Revisit.due_at), col(Revisit.id))
        .limit(limit)
    ).all()
    queue = []
    for revisit, case in rows:
        profile = case_profile(session, case)
        local = profile.work_calendar.local
        queue.append(
            DueRevisit(
                code=case.code,
                customer=views.customer_view(case, viewer),
                due_at=local(revisit.due_at),
                attempts=revisit.attempts,
                attempts_allowed=profile.revisit.attempts,
                owner=case.owner,
                department=case.department,
                close_reason=case.close_reason,
                closed_at=None if case.closed_at is None else local(case.closed_at),
            )
        )
    return queue
