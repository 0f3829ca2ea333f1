"""The KPI dashboard: tiles with the seeded desk's figures, three charts, both sizes the desk
is used at (80×24 over SSH, 120×40), the period key, Chinese, and refresh after a commit."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from conftest import NOW
from textual_plotext import PlotextPlot

from kefu.core import intake, queues
from kefu.tui.screens.dashboard import DashboardScreen

from .conftest import make_app, screen_text, settle


async def open_dashboard(pilot: Any) -> DashboardScreen:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen)
    assert screen.data is not None
    return screen


def tile(app: Any, key: str) -> str:
    return str(app.screen.query_one(f"#tile-{key}").render())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_tiles_and_charts(tui_desk: Any, size: tuple[int, int]) -> None:
    async def run() -> None:
        app = make_app(tui_desk, "sue")
        async with app.run_test(size=size) as pilot:
            screen = await open_dashboard(pilot)
            # Six cases were received this month (1–24 Nov); the closed one was answered
            # satisfied, and its resolution deadline is the only one already passed: met.
            assert "Volume" in tile(app, "volume") and "6" in tile(app, "volume")
            assert "100.0%" in tile(app, "satisfaction") and "1/1" in tile(app, "satisfaction")
            assert "100.0%" in tile(app, "on_time") and "1/1" in tile(app, "on_time")
            assert "0.0%" in tile(app, "repeat") and "0/6" in tile(app, "repeat")
            charts = list(screen.query(PlotextPlot))
            assert len(charts) == 3 and all(c.size.width > 20 for c in charts)
            text = screen_text(app)
            assert "KPIs" in text and "2026-11-01 – 2026-11-24" in text
            wide = size[0] >= 110
            assert screen.has_class("-wide") is wide
            tiles = [screen.query_one(f"#tile-{k}") for k in ("volume", "reopen")]
            same_row = tiles[0].region.y == tiles[1].region.y
            assert same_row is wide  # six in a row when wide, three to a row at 80 columns
            if not wide:
                body = screen.query_one("#dash-body")
                assert body.max_scroll_y > 0  # the charts are below, a scroll away
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, DashboardScreen)

    asyncio.run(run())


def test_period_key_and_chinese(tui_desk: Any) -> None:
    async def run() -> None:
        app = make_app(tui_desk, "sue", lang="zh")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_dashboard(pilot)
            assert "投诉量" in tile(app, "volume") and "客户满意度" in tile(app, "satisfaction")
            await pilot.press("p")
            await settle(pilot)
            assert screen.period_key == "7d"
            assert screen.data is not None and str(screen.data.report.period.first) == "2026-11-18"
            assert "近7天" in screen_text(app)
            await pilot.press("f2")  # back to English: tiles and titles follow at once
            await settle(pilot)
            assert "Volume" in tile(app, "volume") and "last 7 days" in screen_text(app)

    asyncio.run(run())


def test_refreshes_after_someone_commits(tui_desk: Any) -> None:
    async def run() -> None:
        app = make_app(tui_desk, "alice")  # agents see the desk's KPIs too
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_dashboard(pilot)
            assert screen.data is not None and screen.data.report.total.volume == 6
            with tui_desk.write() as session:
                intake.create_case(
                    session=session, actor=tui_desk.user("bob"), now=NOW,
                    received_at=NOW - timedelta(minutes=5), channel="hotline",
                    description="another one",
                )  # fmt: skip
            for _ in range(100):
                await pilot.pause(0.1)
                await app.workers.wait_for_complete()
                if screen.data.report.total.volume == 7:
                    break
            assert screen.data.report.total.volume == 7
            assert "7" in tile(app, "volume")

    asyncio.run(run())


def test_chinese_dashboard_translates_keys_and_labels_and_counts_overdue_now(tui_desk: Any) -> None:
    async def run() -> None:
        app = make_app(tui_desk, "sue", lang="zh")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_dashboard(pilot)
            text = screen_text(app)
            assert "p 周期" in text and "Period" not in text
            rates_key = str(screen.query_one("#chart-rates-key").render())
            assert "延误" in rates_key and "delay" not in rates_key
            # Recorded breaches come from `sla check`; the cases late right now are counted too.
            assert "sla check" in text
            with tui_desk.read() as session:
                overdue = queues.overdue_count(session, now=NOW)
            assert overdue > 0
            assert f"当前已超时未结工单：{overdue}" in text

    asyncio.run(run())
