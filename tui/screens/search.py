"""SearchScreen: find cases by code, phone, order number or words (`core.queues.search_cases`).

Type and press Enter; results come a page at a time (`]` / `[`), Enter on a row opens it,
Escape goes back to the queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from kefu.core import db as kdb
from kefu.core import desklog, queues
from kefu.core.errors import KefuError
from kefu.core.queues import QueuePage

from ..widgets.case_table import CaseTable
from ..widgets.footer import KefuFooter
from ..widgets.header import KefuHeader

if TYPE_CHECKING:
    from ..app import KefuApp


class SearchScreen(Screen[None]):
    CSS_PATH = "search.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_input", "Search", key_display="/"),
        Binding("right_square_bracket", "next_page", "Next page", key_display="]"),
        Binding("left_square_bracket", "prev_page", "Prev page", key_display="[", show=False),
    ]

    @dataclass
    class Found(Message):
        request: int
        page: QueuePage

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.text = text
        self.cursors: list[tuple[Any, ...] | None] = [None]
        self.page: QueuePage | None = None
        self.request = 0

    @property
    def kefu(self) -> KefuApp:
        """The app, typed: engine, actor, language, clock."""
        return cast("KefuApp", self.app)

    def compose(self) -> ComposeResult:
        yield KefuHeader()
        yield Input(
            self.text,
            placeholder=self.kefu.word("Search by code, phone, order number or words"),
            id="search-input",
        )
        yield CaseTable(id="search-table")
        yield Static(id="search-status")
        yield KefuFooter(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "data_version", self._refresh, init=False)
        self.watch(self.app, "lang", self._draw, init=False)
        self.query_one(Input).focus()
        if self.text:
            self._search()

    # -- searching ----------------------------------------------------------------------------

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.text = event.value.strip()
        self.cursors = [None]
        self._search()
        self.query_one(CaseTable).focus()

    def _search(self, record: bool = True) -> None:
        self.request += 1
        self._find(self.text, self.cursors[-1], self.request, record)

    def _refresh(self) -> None:
        if self.text:
            self._search(record=False)  # another desk's commit: not a new look

    @work(thread=True, exclusive=True, group="search")
    def _find(self, text: str, after: tuple[Any, ...] | None, request: int, record: bool) -> None:
        app = self.kefu
        try:
            with kdb.read_session(app.engine) as session:
                page = queues.search_cases(session, actor=app.actor, now=app.now(), text=text, after=after)
            if record:  # who found whose cases: recorded before they are shown
                desklog.note_views(
                    app.engine, viewer=app.actor, cases=page.rows, now=app.now(), where="search"
                )
        except KefuError as exc:
            app.call_from_thread(app.say, exc.text(app.lang), severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Found(request, page))

    def on_search_screen_found(self, message: Found) -> None:
        if message.request != self.request:
            return
        self.page = message.page
        self._draw()

    def _draw(self) -> None:
        app = self.kefu
        self.query_one(Input).placeholder = app.word("Search by code, phone, order number or words")
        status = self.query_one("#search-status", Static)
        if self.page is None:
            status.update("")
            return
        today = self.kefu.profile.work_calendar.local(self.kefu.now())
        self.query_one(CaseTable).show(self.page.rows, lang=self.kefu.lang, today=today)
        if not self.page.rows:
            status.update(Text(app.word("nothing found"), style="dim"))
            return
        parts = [
            app.text("ui.found", count=len(self.page.rows)),
            app.text("ui.page", page=len(self.cursors)),
        ]
        if self.page.next_after is not None:
            parts[0] = app.text("ui.found_more", count=len(self.page.rows))
            parts.append(app.word("more: ]"))
        status.update(Text(" · ".join(parts)))

    # -- navigation ---------------------------------------------------------------------------

    @on(CaseTable.CaseSelected)
    def _open(self, event: CaseTable.CaseSelected) -> None:
        from .case import CaseScreen

        self.app.push_screen(CaseScreen(event.code))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_focus_input(self) -> None:
        self.query_one(Input).focus()

    def action_next_page(self) -> None:
        if self.page is None or self.page.next_after is None:
            self.kefu.say(self.kefu.word("Last page"))
            return
        self.cursors.append(self.page.next_after)
        self._search()

    def action_prev_page(self) -> None:
        if len(self.cursors) == 1:
            self.kefu.say(self.kefu.word("First page"))
            return
        self.cursors.pop()
        self._search()
