"""Toasts at 80 columns stay clear of the action bar and the footer, and go away soon."""

from __future__ import annotations

import asyncio

from textual.widgets import Footer
from textual.widgets._toast import Toast

from kefu.tui import app as tui_app
from kefu.tui.screens.case import CaseScreen
from kefu.tui.widgets.action_bar import ActionBar

from .conftest import cursor_to, make_app, settle


def test_a_toast_does_not_cover_the_action_bar_at_80_columns(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "alice", lang="zh")
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await settle(pilot)
            await cursor_to(pilot, tui_desk.codes["mine"])
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
            app.say("一条比较长的提示信息，用来检查它不会挡住底部的操作按键栏", severity="error")
            await settle(pilot)
            toasts = list(app.screen.query(Toast))
            assert toasts
            bar = app.screen.query_one(ActionBar).region
            footer = app.screen.query_one(Footer).region
            for toast in toasts:
                assert not toast.region.overlaps(bar), (toast.region, bar)
                assert not toast.region.overlaps(footer)
            notices = list(app._notifications)
            assert all(n.timeout <= tui_app.PROBLEM_SECONDS for n in notices)

    asyncio.run(scenario())
