"""`kefu sla rebase`: move open deadlines onto the working calendar as it is now.

After an admin enters a year's official arrangement (`kefu calendar add`) or corrects one,
the deadlines computed while that year was assumed (or wrong) still stand. A rebase walks the
open cases in batches (one write transaction each, like `sla check`) and recomputes each
unmet deadline from its own start, target and waits on the new calendar
(`lifecycle.rebase_deadlines`): the working time already used stays used, met and ended
deadlines are never touched, and each deadline that moves gets one `rebase` event. Running it
again moves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from . import db as kdb
from .lifecycle import Moved, rebase_deadlines
from .messages import Message
from .models import Case, User
from .policies import policy_in_force
from .services import require_role
from .workflow import SUPERVISING, Status

BATCH_SIZE = 500


@dataclass(frozen=True)
class RebasedCase:
    code: str
    moved: list[Moved]


@dataclass
class RebaseReport:
    """What one rebase moved (or, on a dry run, would move)."""

    as_of: datetime
    timezone: str
    dry_run: bool
    scanned: int = 0
    cases: list[RebasedCase] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return sum(len(c.moved) for c in self.cases)

    def as_dict(self) -> dict[str, Any]:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.timezone)

        def iso(value: datetime) -> str:
            return value.astimezone(zone).isoformat(timespec="seconds")

        return {
            "as_of": iso(self.as_of),
            "dry_run": self.dry_run,
            "open_cases": self.scanned,
            "moved": [
                {"code": c.code, "clock": m.clock, "before": iso(m.before), "after": iso(m.after)}
                for c in self.cases
                for m in c.moved
            ],
        }


def rebase(
    *, engine: Engine, actor: User, now: datetime, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> RebaseReport:
    """Recompute every open case's unmet deadlines on the current calendar. Admins and
    supervisors only."""
    require_role(actor, SUPERVISING, Message("do.rebase"))
    with kdb.read_session(engine) as session:
        _, in_force = policy_in_force(session, now)
    report = RebaseReport(as_of=now, timezone=in_force.calendar.timezone, dry_run=dry_run)
    after = 0
    while True:
        opened = kdb.read_session(engine) if dry_run else kdb.write_session(engine)
        with opened as session:
            cases = session.exec(
                select(Case)
                .where(col(Case.status) != Status.CLOSED, col(Case.id) > after)
                .order_by(col(Case.id))
                .limit(batch_size)
            ).all()
            if not cases:
                break
            for case in cases:
                moved = rebase_deadlines(session, case, now, write=not dry_run)
                if moved:
                    report.cases.append(RebasedCase(case.code, moved))
            report.scanned += len(cases)
            assert cases[-1].id is not None
            after = cases[-1].id
    return report
