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

from .errors import NotFound
from .messages import Message
from .models import Case, PolicyVersion
from .policy import Profile, load_profile_text

_PARSED: dict[tuple[int, str], Profile] = {}


def profile_for_version(version: PolicyVersion) -> Profile:
    """The parsed profile of a stored policy revision (parsed once per process)."""
    assert version.id is not None
    key = (version.id, hashlib.sha1(version.source_toml.encode()).hexdigest())
    if key not in _PARSED:
        _PARSED[key] = load_profile_text(version.source_toml, f"policy v{version.version}")
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
        self.newest_first = [(v, profile_for_version(v)) for v in reversed(policy_versions(session))]
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
        self._by_id: dict[int, Profile] = {}

    def get(self, session: Session, version_id: int) -> Profile:
        profile = self._by_id.get(version_id)
        if profile is None:
            version = session.get(PolicyVersion, version_id)
            assert version is not None, f"policy revision {version_id} is missing"
            profile = self._by_id[version_id] = profile_for_version(version)
        return profile

    def all(self, session: Session) -> dict[int, Profile]:
        """Every stored revision by id (a handful: one per `kefu policy apply`)."""
        for version in policy_versions(session):
            assert version.id is not None
            self._by_id.setdefault(version.id, profile_for_version(version))
        return dict(self._by_id)


def case_profile(session: Session, case: Case) -> Profile:
    """The policy revision a case was opened under."""
    return Policies().get(session, case.policy_version_id)
