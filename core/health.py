"""`kefu doctor`: is the file sound, is the schema current, does the calendar cover our dates.

Each check's detail is built from catalog messages and rendered in the language asked for
(English by default); SQLite's own integrity lines are shown as SQLite writes them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from . import db as kdb
from . import policies, sharing
from .audit import tamper_check
from .calendar import WorkCalendar
from .errors import DatabaseError, KefuError
from .messages import Message, Text, join, normal_lang, render
from .models import Case
from .policy import calendar_kind_name


def doctor(database: str, now: datetime, *, lang: str = "en", fix: bool = False) -> dict[str, Any]:
    """A list of named checks, each ok or not with a one-line detail in `lang` (en or zh).
    With `fix`, first mends what this user may of the file's modes and groups."""
    lang = normal_lang(lang)
    checks: list[dict[str, Any]] = []

    def say(*parts: Text) -> str:
        return "".join(render(part, lang) for part in parts)

    def add(name: str, ok: bool, *detail: Text) -> None:
        checks.append({"name": name, "ok": ok, "detail": say(*detail)})

    path = None if "://" in database else Path(database).expanduser()
    if path is not None and path.exists():
        _permissions(path, fix, add, lang)
    try:
        engine = kdb.make_engine(database)
        revision = kdb.check_schema(engine)
    except KefuError as exc:
        add("database", False, exc.text(lang))
        return {"ok": False, "checks": checks}
    except DBAPIError as exc:
        add("database", False, str(exc.orig).splitlines()[0], " — ", Message("doctor.damaged"))
        return {"ok": False, "checks": checks}
    head = kdb.code_head()
    if revision == head:
        add("schema", True, Message("doctor.schema_current", revision=revision))
    else:
        add("schema", False, Message("doctor.schema_older", revision=revision, head=head))
    problems = kdb.integrity_check(engine)
    if problems:
        kdb.mark_damaged(engine, str(problems[0]))
        add("integrity", False, join([say(p) for p in problems[:5]], lang, strong=True), " — ",
            Message("doctor.damaged"))  # fmt: skip
    else:
        cleared = kdb.clear_damage_mark(engine)
        add(
            "integrity",
            True,
            Message("doctor.integrity_ok"),
            Message("doctor.mark_cleared") if cleared else "",
        )
    try:
        _readable_checks(engine, now, add, checks, say)
    except DBAPIError as exc:  # pages the checks read are damaged: said, never a traceback
        add("cases", False, str(exc.orig).splitlines()[0], " — ", Message("doctor.damaged"))
    except DatabaseError as exc:  # the same, as a session says it (`db.failure`)
        add("cases", False, exc.text(lang))
    return {"ok": all(c["ok"] for c in checks), "checks": checks}


def _readable_checks(engine: Any, now: datetime, add: Any, checks: list[dict[str, Any]], say: Any) -> None:
    """The journal mode, the calendars' coverage and the number of cases."""
    if kdb.is_sqlite(engine):
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        add("journal", mode == "wal", Message("doctor.journal", mode=str(mode)))
    with kdb.read_session(engine) as session:
        # Every revision's calendar: open cases keep the revision they were opened under.
        calendars: dict[WorkCalendar, list[int]] = {}
        for version in policies.policy_versions(session):
            calendar = policies.profile_for_version(version, policies.desk_years(session)).work_calendar
            calendars.setdefault(calendar, []).append(version.version)
        first, last = session.exec(select(func.min(Case.received_at), func.max(Case.received_at))).one()
        cases = session.exec(select(func.count()).select_from(Case)).one()
    # The years with cases and this year must be known; deadlines run into the next year,
    # which the holiday data usually only covers from December: a warning, not a failure.
    needed = range(min((first or now).year, now.year), max((last or now).year, now.year) + 1)
    ahead = range(needed.stop, needed.stop + 1)
    calendar_fix = Message("doctor.calendar_fix")
    for calendar, revisions in calendars.items():
        uncovered = calendar.uncovered_years(needed)
        not_yet = calendar.uncovered_years(ahead)
        covered = calendar.covered_years()
        name = Message("doctor.calendar_name", kind=calendar_kind_name(calendar.kind))
        which: Text = "" if len(calendars) == 1 else Message("doctor.calendar_revisions", revisions=revisions)
        detail: list[Text] = [
            Message(
                "doctor.calendar_years",
                calendar=name,
                which=which,
                first=covered.start,
                last=covered.stop - 1,
            )
            if covered
            else Message("doctor.calendar_all_years", calendar=name, which=which)
        ]
        if calendar.entered_years and calendar.kind == "cn":
            detail.append(Message("doctor.calendar_entered", years=sorted(calendar.entered_years)))
        if uncovered:
            detail.append(Message("doctor.calendar_uncovered", years=uncovered, fix=calendar_fix))
        if not_yet:
            detail.append(Message("doctor.calendar_not_yet", years=not_yet, fix=calendar_fix))
        checks.append(
            {
                "name": "calendar",
                "ok": not uncovered,
                "detail": say(*detail),
                "warning": bool(not_yet) and not uncovered,
            }  # fmt: skip
        )
    add("cases", True, Message("doctor.cases", cases=cases))
    with Session(engine) as session:
        found = tamper_check(session, limit=5)
    if found.ok:
        add("history", True, Message("doctor.history_ok", events=found.history.events))
    else:
        add(
            "history",
            False,
            Message("doctor.history_broken", problems=found.problems),
            "" if found.history.guarded and found.desk_log.guarded else Message("doctor.history_unguarded"),
        )


def _permissions(path: Path, fix: bool, add: Any, lang: str) -> None:
    """Who may read and write the file and its companions (`kefu.core.sharing`)."""
    before = sharing.problems(path)
    left = sharing.fix(path) if fix and before else before
    detail: list[Text] = []
    if fix and len(left) < len(before):
        detail.append(Message("doctor.fixed", count=len(before) - len(left)))
    if left:
        detail.append(join([p.message.text(lang) for p in left], lang, strong=True))
    else:
        gid = sharing.desk_gid(path)
        detail.append(
            Message("doctor.permissions_shared", group=sharing.group_name(gid))
            if gid is not None
            else Message("doctor.permissions_personal")
        )
    add("permissions", not left, *detail)
