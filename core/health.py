"""`kefu doctor`: is the file sound, is the schema current, does the calendar cover our dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from . import db as kdb
from . import policies
from .calendar import WorkCalendar
from .errors import KefuError
from .models import Case


def doctor(database: str, now: datetime) -> dict[str, Any]:
    """A list of named checks, each ok or not with a one-line detail."""
    checks: list[dict[str, Any]] = []

    def add(name: str, ok: bool, detail: str) -> None:
        checks.append({"name": name, "ok": ok, "detail": detail})

    try:
        engine = kdb.make_engine(database)
        revision = kdb.check_schema(engine)
    except KefuError as exc:
        add("database", False, exc.message)
        return {"ok": False, "checks": checks}
    head = kdb.code_head()
    add(
        "schema",
        revision == head,
        f"revision {revision}" + ("" if revision == head else f"; kefu will migrate it to {head}"),
    )
    problems = kdb.integrity_check(engine)
    add("integrity", not problems, "ok" if not problems else "; ".join(problems[:5]))
    if kdb.is_sqlite(engine):
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        add("journal", mode == "wal", f"journal_mode={mode}")
    with kdb.read_session(engine) as session:
        # Every revision's calendar: open cases keep the revision they were opened under.
        calendars: dict[WorkCalendar, list[int]] = {}
        for version in policies.policy_versions(session):
            calendar = policies.profile_for_version(version).work_calendar
            calendars.setdefault(calendar, []).append(version.version)
        first, last = session.exec(select(func.min(Case.received_at), func.max(Case.received_at))).one()
        cases = session.exec(select(func.count()).select_from(Case)).one()
    # The years with cases and this year must be known; deadlines run into the next year,
    # which the holiday data usually only covers from December: a warning, not a failure.
    needed = range(min((first or now).year, now.year), max((last or now).year, now.year) + 1)
    ahead = range(needed.stop, needed.stop + 1)
    for calendar, revisions in calendars.items():
        uncovered = calendar.uncovered_years(needed)
        not_yet = calendar.uncovered_years(ahead)
        covered = calendar.covered_years()
        span = f"{covered.start}–{covered.stop - 1}" if covered else "all years"
        which = "" if len(calendars) == 1 else f" (policy revision {', '.join(map(str, revisions))})"
        fix = "upgrade chinesecalendar or list the holidays in extra_holidays / extra_workdays"
        detail = f"{calendar.kind} calendar{which} has official data for {span}"
        if uncovered:
            detail += f"; NOT for {', '.join(map(str, uncovered))} (weekdays assumed there: {fix})"
        if not_yet:
            detail += (
                f"; not yet for {', '.join(map(str, not_yet))} (deadlines running into it assume "
                f"weekdays until you {fix})"
            )
        checks.append(
            {
                "name": "calendar",
                "ok": not uncovered,
                "detail": detail,
                "warning": bool(not_yet) and not uncovered,
            }  # fmt: skip
        )
    add("cases", True, f"{cases} cases")
    return {"ok": all(c["ok"] for c in checks), "checks": checks}
