"""KefuApp: the Textual application agents keep open all day.

The app owns what every screen shares: the engine, the acting kefu user, the UI language, the
clock, and a `ChangeWatcher` that notices other people's commits. Screens watch two counters
on the app: `data_version` (someone committed: re-read what you show) and `clock_tick`
(time passed: recompute the countdowns). Nothing here holds a session open; screens do their
database work in short-lived thread workers.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen

from kefu.core import db as kdb
from kefu.core import lazy, policies, services
from kefu.core.catalog.ui import LANGUAGE_KEY
from kefu.core.identity import os_login
from kefu.core.messages import LANGS, Message, Text, render
from kefu.core.models import User
from kefu.core.policy import Profile
from kefu.core.watch import ChangeWatcher

from .i18n import word

DASHBOARD_MODULE = "kefu.tui.screens.dashboard"
NOTICE_SECONDS = 3.0
"""How long a toast saying something went well stays up."""
PROBLEM_SECONDS = 6.0
"""How long a warning or refusal stays up (long enough to read a sentence)."""


class KefuApp(App[None]):
    """The kefu desk in the terminal: queues, cases, intake, search, dashboard."""

    TITLE = "kefu"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("f1", "help", "Help", id="help"),
        Binding("question_mark", "help", "Help", show=False, id="help_question"),
        Binding("f2", "toggle_language", LANGUAGE_KEY, id="language"),
        Binding("f3", "dashboard", "Dashboard", id="dashboard"),
    ]

    lang: reactive[str] = reactive("zh", init=False)
    data_version: reactive[int] = reactive(0, init=False)
    """Bumped when another connection (or this app) committed to the database."""
    clock_tick: reactive[int] = reactive(0, init=False)
    """Bumped every `tick_seconds` so countdowns move on their own."""

    def __init__(
        self,
        db: str,
        *,
        user: str | None = None,
        lang: str | None = None,
        clock: Callable[[], datetime] | None = None,
        watch_interval: float = 0.5,
        refresh_gap: float = 1.5,
        tick_seconds: float = 30.0,
    ) -> None:
        """Open `db` as the OS user (or as `user` when the OS user is an admin, like --as).

        Raises `KefuError` (with a sentence for the user) when the file or the user won't do.
        `clock` freezes time (tests, snapshots); `watch_interval` is how often the watcher
        asks whether someone committed; `refresh_gap` the least time between two re-reads
        while others keep committing (a first change after a quiet spell shows within
        `watch_interval`; a busy desk costs an open TUI one re-read per gap, not one per
        commit); `tick_seconds` how often countdowns move.
        """
        super().__init__()
        lazy.load_all()  # the workers below are threads: no lazy module is first loaded in two at once
        self.db = db
        self._clock = clock
        self.engine = kdb.open_database(db)
        with kdb.read_session(self.engine) as session:
            self.actor: User = services.resolve_actor(session, os_login(), user)
            _, profile = policies.policy_in_force(session, self.now())
        self.profile: Profile = profile
        self.set_reactive(KefuApp.lang, lang if lang in LANGS else profile.profile.language)
        self.watch_interval = watch_interval
        self.refresh_gap = refresh_gap
        self.tick_seconds = tick_seconds
        self.watcher = ChangeWatcher(db)
        self._changes_pending = False
        self._last_refresh = -refresh_gap
        self.notices: list[str] = []
        """The last things the user was told (newest last)."""

    def now(self) -> datetime:
        """The current time (frozen in tests and snapshots)."""
        return self._clock() if self._clock is not None else datetime.now(UTC)

    def word(self, text: str) -> str:
        """An interface word (keyed by its English) in the UI language."""
        return word(text, self.lang)

    def text(self, key: str, **params: object) -> str:
        """The catalog message `key` in the UI language."""
        return Message(key, **params).text(self.lang)

    def both(self, text: str) -> str:
        """`text` for the command palette: in Chinese with the English after it (so either
        can be typed to find it), or just English."""
        return text if self.lang == "en" else f"{self.word(text)} {text}"

    def say(self, message: Text, *, severity: SeverityLevel = "information") -> None:
        """Tell the user something (a toast) in the UI language; never read as markup,
        remembered for tests."""
        text = render(message, self.lang)
        self.notices.append(text)
        del self.notices[:-20]
        timeout = NOTICE_SECONDS if severity == "information" else PROBLEM_SECONDS
        self.notify(text, severity=severity, markup=False, timeout=timeout)

    # -- lifecycle --------------------------------------------------------------------------

    def on_mount(self) -> None:
        from .screens.queues import QueueScreen

        self._update_title()
        self.push_screen(QueueScreen())
        self.set_interval(self.watch_interval, self._poll_changes, name="watch")
        self.set_interval(self.tick_seconds, self._tick, name="tick")

    def on_unmount(self) -> None:
        self.watcher.close()
        self.engine.dispose()

    def _poll_changes(self) -> None:
        if self.watcher.changed():
            self._changes_pending = True
        if self._changes_pending and time.monotonic() - self._last_refresh >= self.refresh_gap:
            self._changes_pending = False
            self._last_refresh = time.monotonic()
            self.data_version += 1

    def _tick(self) -> None:
        self.clock_tick += 1

    def _update_title(self) -> None:
        self.title = f"kefu · {self.profile.profile.title.text(self.lang)}"
        name = self.actor.display_name or self.actor.name
        self.sub_title = self.text("ui.signed_in", name=name, role=self.actor.role)

    def watch_lang(self) -> None:
        self._update_title()
        self.screen.refresh_bindings()

    # -- actions everywhere -----------------------------------------------------------------

    def action_toggle_language(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        self.say(self.word("Switched to Chinese" if self.lang == "zh" else "Switched to English"))

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_dashboard(self) -> None:
        """Open the KPI dashboard (tui/screens/dashboard.py) when it is installed."""
        if importlib.util.find_spec(DASHBOARD_MODULE) is None:
            self.say(self.word("The dashboard is not available yet"), severity="warning")
            return
        try:
            module = importlib.import_module(DASHBOARD_MODULE)
            screen_class: type[Screen[object]] = module.DashboardScreen
        except Exception as exc:  # another team's module: report it, keep the desk running
            self.say(Message("ui.dashboard_failed", error=str(exc)), severity="error")
            return
        if not isinstance(self.screen, screen_class):
            self.push_screen(screen_class())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(self.both("Dashboard"), "f3", self.action_dashboard)
        yield SystemCommand(f"{self.both('Language')}: {LANGUAGE_KEY}", "f2", self.action_toggle_language)
        yield SystemCommand(self.both("Help"), "f1 / ?", self.action_help)
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            for title, help_text, callback in commands():
                yield SystemCommand(title, help_text, callback)
