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
from typer.testing import Result

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


def make_desk(
    path: Path, profile: Path = MINI_PROFILE, now: datetime = NOW, department: str | None = "cs"
) -> Desk:
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
                    session=session, actor=admin, name=name, role=role, now=now, department=department
                )
    return desk


def make_cli_desk(path: Path) -> Desk:
    """A desk on which the OS login running the tests is an admin, so CLI tests act `--as`
    the desk's people."""
    from kefu.core.identity import os_login

    desk = make_desk(path)
    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
    return desk


@pytest.fixture(autouse=True)
def english_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line speaks English in tests unless a test says otherwise: KEFU_LANG=en
    (the shipped profiles are Chinese, and a desk's language would otherwise win). A test of
    the language itself removes it (`monkeypatch.delenv("KEFU_LANG")`)."""
    monkeypatch.setenv("KEFU_LANG", "en")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = make_desk(tmp_path / "kefu.db")
    yield d
    d.engine.dispose()


@pytest.fixture
def cli_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """A desk the CLI can drive: the OS user running the tests is one of its admins, and
    tables print on a console wide enough that Rich never wraps a cell."""
    from rich.console import Console

    from kefu import cli
    from kefu.core.identity import os_login

    monkeypatch.setattr(cli, "out", Console(soft_wrap=True, width=200))
    desk = make_desk(tmp_path / "kefu.db")
    if os_login() not in desk.users:
        with desk.write() as session:
            services.add_user(
                session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW
            )
    yield desk
    desk.engine.dispose()


def cli_run(desk: Desk, *args: str, lang: str | None = "en") -> Result:
    """`kefu --db DESK ARGS…` through Typer's CliRunner on a wide terminal, in English
    (KEFU_LANG=en) unless `lang` names another language or is None (KEFU_LANG unset: the
    desk's language)."""
    from typer.testing import CliRunner

    from kefu.cli import app

    return CliRunner().invoke(
        app,
        ["--db", str(desk.path), *args],
        terminal_width=200,
        env={"COLUMNS": "200", "KEFU_LANG": lang},
    )
