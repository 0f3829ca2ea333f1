"""QueueScreen: the agent's home — queues as tabs, one page of cases at a time.

Each tab is a core queue (`core.queues`) with its count; the table below shows one keyset page
of the active queue (`]` / `[` flip pages, `s` sorts, `f` filters). Pages and counts are read in
thread workers with a short session each; the screen re-reads when someone commits
(`app.data_version`) and when the clock ticks, keeping the cursor on the same case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static, Tab, Tabs
from textual.worker import get_current_worker

from kefu.core import db as kdb
from kefu.core import lifecycle, queues
from kefu.core.errors import KefuError
from kefu.core.messages import Message as Say
from kefu.core.queues import QueueFilter, QueuePage, QueueRow
from kefu.core.workflow import Action, refusal

from ..widgets.case_table import CaseTable
from ..widgets.footer import KefuFooter
from ..widgets.header import KefuHeader

if TYPE_CHECKING:
    from ..app import KefuApp


@dataclass
class QueueState:
    """Where the user is in one queue: the cursors of the pages walked so far, the rows shown."""

    cursors: list[tuple[Any, ...] | None] = field(default_factory=lambda: [None])
    rows: list[QueueRow] = field(default_factory=list)
    next_after: tuple[Any, ...] | None = None
    loaded: bool = False
    stale: bool = True
    sort: str = "due"
    flt: QueueFilter = field(default_factory=QueueFilter)
    request: int = 0


class QueueScreen(Screen[None]):
    CSS_PATH = "queues.tcss"
    BINDINGS = [
        Binding("n", "new_case", "New complaint", id="queue.new"),
        Binding("slash", "search", "Search", key_display="/", id="queue.search"),
        Binding("c", "claim", "Claim", id="queue.claim"),
        Binding("c", "refused_claim", show=False),
        Binding("s", "sort", "Sort", id="queue.sort"),
        Binding("f", "filter", "Filter", id="queue.filter"),
        Binding("right_square_bracket", "next_page", "Next page", key_display="]"),
        Binding("left_square_bracket", "prev_page", "Prev page", key_display="[", show=False),
        Binding("tab", "cycle_queue(1)", "Next queue", show=False),
        Binding("shift+tab", "cycle_queue(-1)", "Prev queue", show=False),
        *(Binding(str(number), f"goto_queue({number - 1})", show=False) for number in range(1, 7)),
        Binding("q", "app.quit", "Quit", show=False, id="queue.quit"),
    ]

    @dataclass
    class PageLoaded(Message):
        key: str
        request: int
        page: QueuePage

    @dataclass
    class CountsLoaded(Message):
        counts: dict[str, int]

    @dataclass
    class WriteDone(Message):
        done: Say | None
        error: KefuError | None = None
        reload: bool = True

    def __init__(self) -> None:
        super().__init__()
        app = self.app
        self.queue_list = queues.queues_for(app.actor)  # type: ignore[attr-defined]
        self.states: dict[str, QueueState] = {q.key: QueueState() for q in self.queue_list}
        self.counts: dict[str, int] = {}
        self.active = self.queue_list[0].key if self.queue_list else ""

    @property
    def kefu(self) -> KefuApp:
        """The app, typed: engine, actor, language, clock."""
        return cast("KefuApp", self.app)

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield KefuHeader()
        tabs = Tabs(*(Tab(self._tab_label(q.key), id=f"tab-{q.key}") for q in self.queue_list))
        tabs.can_focus = False
        yield tabs
        yield CaseTable(id="queue-table")
        yield Static(id="queue-status")
        yield KefuFooter(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "data_version", self._on_data_changed, init=False)
        self.watch(self.app, "clock_tick", self._on_data_changed, init=False)
        self.watch(self.app, "lang", self._on_lang_changed, init=False)
        self.query_one(CaseTable).focus()
        self._reload_active()
        self._load_counts()

    def on_screen_resume(self) -> None:
        if self.is_mounted and any(state.loaded for state in self.states.values()):
            self._mark_all_stale()
            self._reload_active()
            self._load_counts()

    # -- loading ------------------------------------------------------------------------------

    def _mark_all_stale(self) -> None:
        for state in self.states.values():
            state.stale = True

    def _on_data_changed(self) -> None:
        self._mark_all_stale()
        if self.app.screen is not self:
            return  # covered by a case or a form: re-read when the user comes back
        self._reload_active()
        self._load_counts()

    def _reload_active(self) -> None:
        if not self.active:
            self._show_status()
            return
        state = self.states[self.active]
        state.request += 1
        self._load_page(self.active, state.cursors[-1], state.sort, state.flt, state.request)

    @work(thread=True, exclusive=True, group="queue-page")
    def _load_page(
        self,
        key: str,
        after: tuple[Any, ...] | None,
        sort: str,
        flt: QueueFilter,
        request: int,
    ) -> None:
        app = self.kefu
        try:
            with kdb.read_session(app.engine) as session:
                page = queues.queue_page(
                    session,
                    queue=key,
                    actor=app.actor,
                    now=app.now(),
                    after=after,
                    sort=sort,
                    flt=flt,
                )
        except KefuError as exc:
            self.post_message(self.WriteDone(None, error=exc, reload=False))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageLoaded(key, request, page))

    @work(thread=True, exclusive=True, group="queue-counts")
    def _load_counts(self) -> None:
        app = self.kefu
        try:
            with kdb.read_session(app.engine) as session:
                counts = queues.queue_counts(session, actor=app.actor, now=app.now())
        except KefuError:
            return  # the page load says what is wrong; the tabs keep their last counts
        if not get_current_worker().is_cancelled:
            self.post_message(self.CountsLoaded(counts))

    def on_queue_screen_page_loaded(self, message: PageLoaded) -> None:
        state = self.states.get(message.key)
        if state is None or message.request != state.request:
            return
        state.rows = message.page.rows
        state.next_after = message.page.next_after
        state.loaded = True
        state.stale = False
        if message.key == self.active:
            self._show_active()

    def on_queue_screen_counts_loaded(self, message: CountsLoaded) -> None:
        self.counts = message.counts
        for item in self.queue_list:
            tab = self.query_one(f"#tab-{item.key}", Tab)
            label = self._tab_label(item.key)
            if tab.label.plain != label:  # a new label lays the tabs out again
                tab.label = label
        self._show_status()

    # -- drawing ------------------------------------------------------------------------------

    def _tab_label(self, key: str) -> str:
        name = queues.queue(key).text(self.kefu.lang)
        count = self.counts.get(key)
        return name if count is None else f"{name} {count}"

    def _show_active(self, keep_code: str | None = None) -> None:
        state = self.states[self.active]
        table = self.query_one(CaseTable)
        current = table.selected()
        table.show(
            state.rows,
            lang=self.kefu.lang,
            today=self._today(),
            revisits=self.active == "revisits",
            keep_code=keep_code or (current.code if current else None),
        )
        self._show_status()
        self.refresh_bindings()

    def _today(self) -> Any:
        return self.kefu.profile.work_calendar.local(self.kefu.now())

    def _show_status(self) -> None:
        app = self.kefu
        status = self.query_one("#queue-status", Static)
        if not self.active:
            _update(status, Text(app.word("no cases here"), style="dim"))
            return
        state = self.states[self.active]
        page = len(state.cursors)
        parts = [queues.queue(self.active).text(app.lang)]
        if not state.loaded:
            parts.append(app.word("loading…"))
        elif not state.rows:
            parts.append(app.word("no cases here") if page == 1 else app.text("ui.page", page=page))
        else:
            first = (page - 1) * queues.PAGE_SIZE + 1
            last = first + len(state.rows) - 1
            total = self.counts.get(self.active)
            if total is not None and not state.flt.active:
                parts.append(app.text("ui.rows_of", first=first, last=last, total=total))
            else:
                parts.append(app.text("ui.rows", first=first, last=last))
        if self.active != "revisits":
            parts.append(app.word("sorted by due" if state.sort == "due" else "sorted by received"))
        if state.flt.active:
            parts.append(app.text("ui.filtered", values=self._filter_values(state.flt)))
        if state.next_after is not None:
            parts.append(app.word("more: ]"))
        _update(status, Text(" · ".join(parts)))

    def _filter_values(self, flt: QueueFilter) -> list[dict[str, str]]:
        """What the filter keeps, as policy vocabulary entries (English shows codes)."""
        profile = self.kefu.profile
        chosen = (("severities", flt.severity), ("channels", flt.channel), ("taxonomy", flt.category))
        return [
            {"code": code, "en": profile.label(kind, code, "en"), "zh": profile.label(kind, code, "zh")}
            for kind, code in chosen
            if code
        ]

    def _on_lang_changed(self) -> None:
        for item in self.queue_list:
            self.query_one(f"#tab-{item.key}", Tab).label = self._tab_label(item.key)
        if self.active and self.states[self.active].loaded:
            self._show_active()

    # -- tabs ---------------------------------------------------------------------------------

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        key = (event.tab.id or "").removeprefix("tab-")
        if key not in self.states or key == self.active and self.states[key].loaded:
            return
        self.active = key
        state = self.states[key]
        if state.loaded:
            self._show_active()
        else:
            self.query_one(CaseTable).show([], lang=self.kefu.lang, today=None, revisits=key == "revisits")
            self._show_status()
        if state.stale or not state.loaded:
            self._reload_active()

    def action_goto_queue(self, index: int) -> None:
        if 0 <= index < len(self.queue_list):
            self.query_one(Tabs).active = f"tab-{self.queue_list[index].key}"

    def action_cycle_queue(self, step: int) -> None:
        if not self.queue_list:
            return
        keys = [q.key for q in self.queue_list]
        index = (keys.index(self.active) + step) % len(keys)
        self.action_goto_queue(index)

    # -- paging, sorting, filtering -----------------------------------------------------------

    def action_next_page(self) -> None:
        if not self.active:
            return
        state = self.states[self.active]
        if state.next_after is None:
            self.kefu.say(self.kefu.word("Last page"))
            return
        state.cursors.append(state.next_after)
        self._reload_active()

    def action_prev_page(self) -> None:
        if not self.active:
            return
        state = self.states[self.active]
        if len(state.cursors) == 1:
            self.kefu.say(self.kefu.word("First page"))
            return
        state.cursors.pop()
        self._reload_active()

    def action_sort(self) -> None:
        if not self.active or self.active == "revisits":
            return
        state = self.states[self.active]
        state.sort = "received" if state.sort == "due" else "due"
        state.cursors = [None]
        self.kefu.say(
            self.kefu.word("Sorted by deadline" if state.sort == "due" else "Sorted by receipt, newest first")
        )
        self._reload_active()

    def action_filter(self) -> None:
        from .filter import FilterScreen

        if not self.active:
            return
        state = self.states[self.active]

        def chosen(flt: QueueFilter | None) -> None:
            if flt is None:
                return
            state.flt = flt
            state.cursors = [None]
            self._reload_active()

        self.app.push_screen(FilterScreen(state.flt, profile=self.kefu.profile, lang=self.kefu.lang), chosen)

    # -- opening and creating -----------------------------------------------------------------

    @on(CaseTable.CaseSelected)
    def _open_case(self, event: CaseTable.CaseSelected) -> None:
        from .case import CaseScreen

        self.app.push_screen(CaseScreen(event.code))

    @on(CaseTable.CaseHighlighted)
    def _highlighted(self, event: CaseTable.CaseHighlighted) -> None:
        self.refresh_bindings()

    def action_new_case(self) -> None:
        from .case import CaseScreen
        from .intake import IntakeScreen

        def recorded(code: str | None) -> None:
            if code:
                self.kefu.say(Say("ui.recorded", code=code))
                self.app.push_screen(CaseScreen(code))

        self.app.push_screen(IntakeScreen(), recorded)

    def action_search(self) -> None:
        from .search import SearchScreen

        self.app.push_screen(SearchScreen())

    # -- claiming from the queue --------------------------------------------------------------

    def _claim_refusal(self) -> str | None:
        row = self.query_one(CaseTable).selected()
        if row is None:
            return self.kefu.word("No case selected")
        actor = self.kefu.actor
        reason = refusal(
            Action.CLAIM, row.status, actor.role, is_owner=row.owner == actor.name, owner=row.owner
        )
        if reason is None:
            return None
        return Say("case.refused", code=row.code, reason=reason).text(self.kefu.lang)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "claim":
            row = self.query_one(CaseTable).selected() if self.is_mounted else None
            if row is None:
                return False
            return True if self._claim_refusal() is None else None
        if action in ("sort",):
            return self.active != "revisits"
        return True

    def action_claim(self) -> None:
        reason = self._claim_refusal()
        if reason:
            self.action_refused_claim()
            return
        row = self.query_one(CaseTable).selected()
        assert row is not None
        self._claim(row.code, row.version)

    def action_refused_claim(self) -> None:
        reason = self._claim_refusal()
        if reason:
            self.kefu.say(reason, severity="error")

    @work(thread=True, exclusive=True, group="queue-write")
    def _claim(self, code: str, version: int) -> None:
        app = self.kefu
        try:
            with kdb.write_session(app.engine) as session:
                lifecycle.move_case(
                    session=session,
                    code=code,
                    action="claim",
                    actor=app.actor,
                    now=app.now(),
                    expected_version=version,
                )
        except KefuError as exc:
            self.post_message(self.WriteDone(None, error=exc))
            return
        self.post_message(self.WriteDone(Say("ui.claimed", code=code)))

    def on_queue_screen_write_done(self, message: WriteDone) -> None:
        if message.error is not None:
            self.kefu.say(message.error.text(self.kefu.lang), severity="error")
        elif message.done is not None:
            self.kefu.say(message.done)
        if message.reload:
            self._on_data_changed()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        both = self.kefu.both
        return [
            (both("New complaint"), "n", self.action_new_case),
            (both("Search"), "/", self.action_search),
            (both("Sort"), "s", self.action_sort),
            (both("Filter"), "f", self.action_filter),
            (both("Next page"), "]", self.action_next_page),
            (both("Prev page"), "[", self.action_prev_page),
            (both("Claim"), "c", self.action_claim),
        ]


def _update(static: Static, text: Text) -> None:
    """Show `text` unless it is shown already (an update lays the screen out again)."""
    shown = static.content
    if not (isinstance(shown, Text) and shown.plain == text.plain and shown.style == text.style):
        static.update(text)
