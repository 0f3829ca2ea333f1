"""Shared fixtures: a real WAL SQLite desk under tmp_path with the mini policy and one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from kefu.core import db as kdb
from kefu.core import services
from kefu.core.models import User

DATA = Path(__file__).parent / "data"
MINI_PROFILE = DATA / "mini.toml"

# Tuesday 24 Nov 2026, 10:00 in Shanghai: a plain working day inside business hours.
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

ROLE_USERS = {
    "admin": "admin",
    "alice": "agent",
    "bob": "agent",
    "carol": "classifier",
    "hank": "handler",
    "sue": "supervisor",
    "ana": "analyst",
    "aud": "auditor",
}


@dataclass
class Desk:
    """A fresh kefu database and its people, for core tests."""

    path: Path
    engine: Engine
    users: dict[str, User] = field(default_factory=dict)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with kdb.write_session(self.engine) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with kdb.read_session(self.engine) as session:
            yield session

    def user(self, name: str) -> User:
        return self.users[name]


def make_desk(path: Path, profile: Path = MINI_PROFILE, now: datetime = NOW) -> Desk:
    engine = kdb.create_database(str(path))
    desk = Desk(path=path, engine=engine)
    with desk.write() as session:
        admin, _ = services.initialize_desk(
            session=session,
            admin_name="admin",
            text=profile.read_text(encoding="utf-8"),
            origin=str(profile),
            now=now,
        )
        desk.users["admin"] = admin
        for name, role in ROLE_USERS.items():
            if name != "admin":
                desk.users[name] = services.add_user(
                    session=session, actor=admin, name=name, role=role, now=now, department="cs"
                )
    return desk


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = make_desk(tmp_path / "kefu.db")
    yield d
    d.engine.dispose()
