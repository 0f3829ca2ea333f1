"""`kefu tui` and `kefu demo` from the command line (the app's run loop replaced by a probe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import make_desk
from typer.testing import CliRunner

from kefu.cli import app
from kefu.core import db as kdb
from kefu.core import queues, services
from kefu.core.identity import os_login
from kefu.tui.app import KefuApp

runner = CliRunner(env={"COLUMNS": "200", "KEFU_DB": None})


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `KefuApp.run` was asked to show, instead of taking over the terminal."""
    seen: list[dict[str, Any]] = []

    def run(self: KefuApp, *args: Any, **kwargs: Any) -> None:
        with kdb.read_session(self.engine) as session:
            cases = len(queues.list_cases(session, actor=self.actor, flt=queues.CaseFilter(), limit=1000)[0])
        seen.append(
            {
                "db": Path(self.db),
                "actor": self.actor.name,
                "role": self.actor.role,
                "lang": self.lang,
                "cases": cases,
                "exists": Path(self.db).exists(),
            }
        )
        self.engine.dispose()
        self.watcher.close()

    monkeypatch.setattr(KefuApp, "run", run)
    return seen


def test_tui_opens_the_desk_as_the_os_user_or_as_another_for_admins(
    tmp_path: Path, opened: list[dict[str, Any]]
) -> None:
    desk = make_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        services.add_user(
            session=session,
            actor=desk.user("admin"),
            name=os_login(),
            role="admin",
            now=desk.user("admin").created_at,
        )
    db = str(desk.path)
    result = runner.invoke(app, ["--db", db, "tui"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", db, "--as", "alice", "tui", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert [(o["actor"], o["lang"]) for o in opened] == [(os_login(), "en"), ("alice", "zh")]
    result = runner.invoke(app, ["--db", db, "tui", "--lang", "fr"])
    assert result.exit_code == 2


def test_tui_refuses_someone_who_is_not_a_kefu_user(tmp_path: Path, opened: list) -> None:
    desk = make_desk(tmp_path / "kefu.db")
    result = runner.invoke(app, ["--db", str(desk.path), "tui"])
    assert result.exit_code == 2
    assert "is not a kefu user here" in result.output
    assert "Traceback" not in result.output
    assert opened == []


def test_demo_seeds_a_throwaway_desk_and_removes_it(opened: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["demo", "--profile", "express", "--as", "liuting"])
    assert result.exit_code == 0, result.output
    (shown,) = opened
    assert shown["exists"] and shown["cases"] > 10
    assert (shown["actor"], shown["role"]) == ("liuting", "agent")
    assert shown["lang"] == "zh"  # the express profile's language
    assert not shown["db"].exists() and not shown["db"].parent.exists()


def test_demo_is_removed_when_the_terminal_goes_away(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGHUP (a closed SSH session) or SIGTERM ends the demo and still removes its desk."""
    import os
    import signal

    seen: list[Path] = []

    def run(self: KefuApp, *args: Any, **kwargs: Any) -> None:
        seen.append(Path(self.db))
        self.engine.dispose()
        self.watcher.close()
        os.kill(os.getpid(), signal.SIGHUP)

    before = signal.getsignal(signal.SIGHUP)
    monkeypatch.setattr(KefuApp, "run", run)
    result = runner.invoke(app, ["demo", "--profile", "mall"])
    assert result.exit_code == 128 + signal.SIGHUP
    assert seen and not seen[0].parent.exists()
    assert signal.getsignal(signal.SIGHUP) == before
