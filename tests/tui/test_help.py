"""Help lists the number keys of the queue tabs the user actually has."""

from __future__ import annotations

import asyncio

import pytest

from kefu.tui.screens.help import HelpScreen

from .conftest import make_app, screen_text, settle


@pytest.mark.parametrize("user", ["admin", "alice"])
def test_help_lists_one_number_key_per_tab(tui_desk, user) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, user, lang="zh")
        async with app.run_test(size=(80, 40)) as pilot:
            await settle(pilot)
            tabs = [q.text("zh") for q in app.screen.queue_list]
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            lines = [line.strip(" │┃▏▕") for line in screen_text(app).splitlines()]
            assert not any("1–6" in line for line in lines)
            for number, tab in enumerate(tabs, start=1):
                assert any(line.startswith(f"{number}") and tab in line for line in lines), tab
            extra = str(len(tabs) + 1)
            assert not any(line.split()[:1] == [extra] for line in lines if line.split())

    asyncio.run(scenario())
