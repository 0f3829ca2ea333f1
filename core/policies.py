"""The stored policy revisions, parsed once: which revision is in force, and each case's own.

A revision never changes once stored, so its parsed profile is kept for the life of the
process (keyed by id and a hash of its text, so two desks opened by one process never mix
theirs up). `Policies` answers "the profile of revision N" for one session without a query per
case: the SLA check, the queues, reports and views all look profiles up through it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from .calendars import NONE, DeskYears, load_desk_years
from .errors import NotFound
from .messages import Message
from .models import Case, PolicyVersion
from .policy import Profile, load_profile_text

_PARSED: dict[tuple[int, str, str], Profile] = {}
_YEARS_KEY = "kefu.desk_years"


def desk_years(session: Session) -> DeskYears:
    """The calendar years entered for the desk (read once per session)."""
    found = session.info.get(_YEARS_KEY)
    if found is None:
        found = session.info[_YEARS_KEY] = load_desk_years(session)
    return found


def forget_desk_years(session: Session) -> None:
    """After `kefu calendar add`: the next lookup in this session reads the years again."""
    session.info.pop(_YEARS_KEY, None)


def _stored_profile(session: Session, version_id: int, years: DeskYears) -> Profile:
    """The parsed profile of revision `version_id` as stored in this session's file: its text
    is read with one plain query (no entity built) and looked up in the process's cache."""
    row = (
        session.connection()
        .exec_driver_sql("SELECT version, source_toml FROM policy_versions WHERE id = ?", (version_id,))
        .first()
    )
    assert row is not None, f"policy revision {version_id} is missing"
    return _parsed(version_id, int(row[0]), str(row[1]), years)


def profile_for_version(version: PolicyVersion, years: DeskYears = NONE) -> Profile:
    """The parsed profile of a stored policy revision on a desk with these entered calendar
    years (parsed once per process)."""
    assert version.id is not None
    return _parsed(version.id, version.version, version.source_toml, years)


def _parsed(version_id: int, number: int, source: str, years: DeskYears) -> Profile:
    """Revision `version_id`'s text parsed, with the desk's entered years, once per process."""
    key = (version_id, hashlib.sha1(source.encode()).hexdigest(), years.digest)
    if key not in _PARSED:
        if years:
            plain = _parsed(version_id, number, source, NONE)
            _PARSED[key] = plain.with_entered_years(years.years, years.holidays, years.workdays)
        else:
            _PARSED[key] = load_profile_text(source, f"policy v{number}")
    return _PARSED[key]


def policy_versions(session: Session) -> Sequence[PolicyVersion]:
    return session.exec(select(PolicyVersion).order_by(col(PolicyVersion.version))).all()


def policy_in_force(session: Session, now: datetime | None = None) -> tuple[PolicyVersion, Profile]:
    """The newest revision whose effective date has come by `now` (the newest at all if none
    has). A case is governed by the revision in force at its receipt: pass `received_at`."""
    return Revisions(session).at(now)


class Revisions:
    """Every stored revision, read and parsed once, to find the one in force at any instant (an
    import whose rows were received over months finds each row's own, per row)."""

    def __init__(self, session: Session) -> None:
        years = desk_years(session)
        self.newest_first = [(v, profile_for_version(v, years)) for v in reversed(policy_versions(session))]
        if not self.newest_first:
            raise NotFound(Message("policy.none"))

    def at(self, instant: datetime | None) -> tuple[PolicyVersion, Profile]:
        if instant is not None:
            for version, profile in self.newest_first:
                if version.effective_at <= instant:
                    return version, profile
        return self.newest_first[0]

    def profiles(self) -> list[Profile]:
        return [profile for _, profile in self.newest_first]


class Policies:
    """Profiles by revision id: each revision read and parsed once, for a run that may use
    several sessions (the SLA check's batches) or one (a page of a queue)."""

    def __init__(self) -> None:
        self._by_id: dict[tuple[int, str], Profile] = {}

    def get(self, session: Session, version_id: int) -> Profile:
        years = desk_years(session)
        profile = self._by_id.get((version_id, years.digest))
        if profile is None:
            profile = self._by_id[(version_id, years.digest)] = _stored_profile(session, version_id, years)
        return profile

    def all(self, session: Session) -> dict[int, Profile]:
        """Every stored revision by id (a handful: one per `kefu policy apply`)."""
        years = desk_years(session)
        found: dict[int, Profile] = {}
        for version in policy_versions(session):
            assert version.id is not None
            key = (version.id, years.digest)
            found[version.id] = self._by_id.setdefault(key, profile_for_version(version, years))
        return found


def case_profile(session: Session, case: Case) -> Profile:
    """The policy revision a case was opened under."""
    return Policies().get(session, case.policy_version_id)
