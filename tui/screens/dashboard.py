"""DashboardScreen: the KPIs of a period as tiles, and three charts.

Tiles: volume, on-time, satisfaction, repeat, first response, reopen — each rate with its
numerator and denominator. Charts (textual-plotext): volume per day, rates per category,
breaches per department. The figures come from `core.reports.dashboard_data` in a thread
worker; the screen re-reads them when someone commits (throttled) or when `r` is pressed,
and `p` cycles the period. At 80 columns tiles wrap three to a row and the charts stack in a
scrolling column; from 110 columns the tiles make one row and two charts sit side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from kefu.core import db as kdb
from kefu.core import policies, queues, reports
from kefu.core.errors import KefuError
from kefu.core.messages import Message as Say

from ..i18n import word
from ..widgets.footer import KefuFooter
from ..widgets.header import KefuHeader

PERIOD_NAMES = {
    "month": "this month",
    "7d": "last 7 days",
    "30d": "last 30 days",
    "year": "this year",
}
"""The dashboard's periods (`reports.DASHBOARD_PERIODS`) as words of the catalog."""
TILES = ("volume", "on_time", "satisfaction", "repeat", "first_response", "reopen")
TILE_TITLES = {
    "volume": "ui.kpi.volume",
    "on_time": "ui.kpi.on_time",
    "satisfaction": "ui.kpi.satisfaction",
    "repeat": "ui.kpi.repeat",
    "first_response": "ui.kpi.first_response",
    "reopen": "ui.kpi.reopen",
}
"""Each tile's title (a message: a KPI is named differently from the word it is made of)."""
SERIES = ("ui.kpi.series.on_time", "ui.kpi.series.satisfied", "ui.kpi.series.repeat")
"""The rates chart's series, in the order of `_draw_charts`."""
RELOAD_EVERY_S = 3.0
"""At most one reload per this many seconds while others keep committing."""


def axis_names(labels: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Bar names for a plotext axis, and the key to show under the chart.

    plotext counts characters, not terminal cells, so a Chinese label would break its axis:
    when any label is not ASCII the bars are lettered A, B, … and the key (drawn by Textual,
    which measures Chinese correctly) says which label each letter stands for."""
    if all(label.isascii() for label in labels):
        return labels, []
    letters = [_letter(i) for i in range(len(labels))]
    return letters, list(zip(letters, labels, strict=True))


def _letter(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[index] if index < len(letters) else f"{letters[index // 26 - 1]}{letters[index % 26]}"


def _key_text(key: list[tuple[str, str]]) -> Text:
    text = Text()
    for letter, label in key:
        if text:
            text.append("  ")
        text.append(letter, style="bold")
        text.append(f" {label}")
    return text


class DashboardScreen(Screen[None]):
    CSS_PATH = "dashboard.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="dashboard.back"),
        Binding("p", "next_period", "Period", id="dashboard.period"),
        Binding("r", "reload", "Refresh", id="dashboard.refresh"),
        Binding("q", "app.pop_screen", "Back", show=False),
    ]

    @dataclass
    class Loaded(Message):
        request: int
        data: reports.Dashboard | None
        error: KefuError | None = None
        overdue: int | None = None

    def __init__(self) -> None:
        super().__init__()
        self.period_key = reports.DASHBOARD_PERIODS[0]
        self.data: reports.Dashboard | None = None
        self.overdue: int | None = None
        self.request = 0
        self.stale = False
        self.loading = False

    @property
    def kefu(self) -> Any:
        return self.app

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield KefuHeader()
        with VerticalScroll(id="dash-body"):
            yield Static(id="dash-title")
            with Grid(id="dash-tiles"):
                for key in TILES:
                    yield Static(id=f"tile-{key}", classes="tile")
            with Vertical(id="chart-volume-box", classes="chart-box"):
                yield Static(id="chart-volume-title", classes="chart-title")
                yield PlotextPlot(id="chart-volume", classes="chart")
            with Horizontal(id="dash-charts"):
                with Vertical(classes="chart-box"):
                    yield Static(id="chart-rates-title", classes="chart-title")
                    yield PlotextPlot(id="chart-rates", classes="chart")
                    yield Static(id="chart-rates-key", classes="chart-key")
                with Vertical(classes="chart-box"):
                    yield Static(id="chart-breaches-title", classes="chart-title")
                    yield PlotextPlot(id="chart-breaches", classes="chart")
                    yield Static(id="chart-breaches-key", classes="chart-key")
        yield KefuFooter(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "data_version", self._on_data_changed, init=False)
        self.watch(self.app, "lang", self._on_lang_changed, init=False)
        self.set_interval(RELOAD_EVERY_S, self._reload_if_stale, name="dashboard-throttle")
        self._draw()
        self.action_reload()

    # -- loading ------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.request += 1
        self.loading = True
        self.stale = False
        self._draw_title()
        self._load(self.request, self.period_key)

    def action_next_period(self) -> None:
        keys = reports.DASHBOARD_PERIODS
        self.period_key = keys[(keys.index(self.period_key) + 1) % len(keys)]
        self.action_reload()

    def _on_data_changed(self) -> None:
        self.stale = True

    def _reload_if_stale(self) -> None:
        if self.stale and not self.loading:
            self.action_reload()

    def _on_lang_changed(self) -> None:
        self._draw()
        self.action_reload()  # group labels come from the policy in the new language

    @work(thread=True, exclusive=True, group="dashboard")
    def _load(self, request: int, period_key: str) -> None:
        app = self.kefu
        now = app.now()
        try:
            with kdb.read_session(app.engine) as session:
                _, profile = policies.policy_in_force(session, now)
                period = reports.dashboard_period(profile, period_key, now)
                data = reports.dashboard_data(
                    session=session, actor=app.actor, period=period, now=now, lang=app.lang
                )
                overdue = queues.overdue_count(session, now=now)
        except KefuError as exc:
            self.post_message(self.Loaded(request, None, exc))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(request, data, overdue=overdue))

    def on_dashboard_screen_loaded(self, message: Loaded) -> None:
        if message.request != self.request:
            return
        self.loading = False
        if message.error is not None:
            self.kefu.say(message.error.text(self.kefu.lang), severity="error")
            self._draw_title()
            return
        self.data = message.data
        self.overdue = message.overdue
        self._draw()

    # -- drawing ------------------------------------------------------------------------------

    def _draw(self) -> None:
        self._draw_title()
        self._draw_tiles()
        self._draw_charts()

    def _draw_title(self) -> None:
        lang = self.kefu.lang
        text = Text()
        text.append(word("KPIs", lang), style="bold")
        text.append(f" · {word(PERIOD_NAMES[self.period_key], lang)}")
        if self.data is not None:
            period = self.data.report.period
            as_of = self.kefu.profile.work_calendar.local(self.data.report.as_of)
            text.append(f" · {period.first} – {period.last}")
            text.append(f" · {Say('ui.as_of', when=f'{as_of:%Y-%m-%d %H:%M}').text(lang)}", style="dim")
        if self.loading:
            text.append(f"  {word('loading…', lang)}", style="dim italic")
        self.query_one("#dash-title", Static).update(text)

    def _draw_tiles(self) -> None:
        lang = self.kefu.lang
        total = self.data.report.total if self.data is not None else None
        for key in TILES:
            tile = self.query_one(f"#tile-{key}", Static)
            text = Text(Say(TILE_TITLES[key]).text(lang) + "\n", style="bold")
            if total is None:
                text.append("…")
            elif key == "volume":
                text.append(str(total.volume), style="bold")
                average = reports.business_time_text(total.handling_average, lang)
                text.append("\n" + Say("ui.kpi.average", time=average).text(lang), style="dim")
            else:
                rate: reports.Rate = getattr(total, key)
                shown = "—" if rate.percent is None else f"{rate.percent:.1f}%"
                text.append(shown, style="bold")
                text.append(f"\n{rate.numerator}/{rate.denominator}", style="dim")
            tile.update(text)

    def _overdue_text(self, lang: str) -> Text:
        """Open cases past a running deadline now, beside the breaches `sla check` recorded."""
        text = Text()
        if self.overdue is None:
            return text
        error = self.app.theme_variables.get("error") if self.overdue else None
        text.append(Say("ui.overdue_now").text(lang))
        text.append(str(self.overdue), style=f"bold {error}" if error else "bold")
        return text

    def _colours(self) -> list[tuple[int, int, int]]:
        """Series colours from the app's theme variables (no hard-coded colours)."""
        variables = self.app.theme_variables
        found = []
        for name in ("primary", "success", "warning", "error", "accent", "secondary"):
            value = variables.get(name)
            if value:
                try:
                    found.append(Color.parse(value).rgb)
                except Exception:  # a variable that is not a plain colour: skip it
                    continue
        return found or [(128, 128, 128)]

    def _draw_charts(self) -> None:
        lang = self.kefu.lang
        self.query_one("#chart-volume-title", Static).update(Text(word("Volume per day", lang), style="bold"))
        colours = self._colours()
        # The legend is drawn by Textual, which measures Chinese correctly; plotext does not.
        rates_title = Text(word("Rates by category (%)", lang), style="bold")
        for i, series in enumerate(SERIES):
            r, g, b = colours[i % len(colours)]
            rates_title.append("  ■ ", style=f"rgb({r},{g},{b})")
            rates_title.append(Say(series).text(lang))
        self.query_one("#chart-rates-title", Static).update(rates_title)
        # Breaches are recorded by `kefu sla check`; the cases overdue right now are counted
        # beside them, so "none recorded" never reads as "nothing is late".
        breaches_title = Text(word("Recorded breaches by dept. (sla check)", lang), style="bold")
        if self.data is not None and not self.data.breaches_by_department:
            breaches_title.append(f"  {word('none recorded', lang)}", style="dim")
        self.query_one("#chart-breaches-title", Static).update(breaches_title)
        rates_key = self.query_one("#chart-rates-key", Static)
        breaches_key = self.query_one("#chart-breaches-key", Static)
        rates_key.update("")
        breaches_key.update(self._overdue_text(lang))
        volume = self.query_one("#chart-volume", PlotextPlot)
        rates = self.query_one("#chart-rates", PlotextPlot)
        breaches = self.query_one("#chart-breaches", PlotextPlot)
        for chart in (volume, rates, breaches):
            chart.plt.clear_figure()
        if self.data is None:
            for chart in (volume, rates, breaches):
                chart.refresh()
            return
        days = self.data.volume_by_day
        if days:
            xs: list[float] = list(range(1, len(days) + 1))
            volume.plt.plot(xs, [n for _, n in days], marker="braille", color=colours[0])
            step = max(1, len(days) // 6)
            ticks = xs[::step]
            volume.plt.xticks(ticks, [days[int(i) - 1][0][5:] for i in ticks])
            top = max(1, max(n for _, n in days))
            volume.plt.ylim(0, top)
            volume.plt.yticks(list(range(0, top + 1, max(1, -(-top // 4)))))
        groups = [g for g in self.data.report.groups if g.metrics.volume or g.metrics.on_time.denominator]
        if groups:
            names, key = axis_names([g.label for g in groups])
            rates_key.update(_key_text(key))
            values = [
                [g.metrics.on_time.percent or 0 for g in groups],
                [g.metrics.satisfaction.percent or 0 for g in groups],
                [g.metrics.repeat.percent or 0 for g in groups],
            ]
            # plotext takes one colour per series; its stubs only know a single colour.
            series_colours: Any = [colours[i % len(colours)] for i in range(len(values))]
            rates.plt.multiple_bar(names, values, color=series_colours)
            rates.plt.ylim(0, 100)
        rows = self.data.breaches_by_department
        if rows:
            names, key = axis_names([label for _, label, _ in rows])
            breaches_key.update(self._overdue_text(lang) + Text("  ") + _key_text(key))
            breaches.plt.bar(
                names,
                [n for _, _, n in rows],
                color=colours[min(3, len(colours) - 1)],
            )
        for chart in (volume, rates, breaches):
            chart.refresh()
