"""Form layout: an open Select's list stays inside the form body, never over the buttons."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import OptionList, Select

from kefu.tui.screens.form import FormScreen

from .conftest import cursor_to, make_app, settle


async def _check_every_select(pilot, app) -> int:
    screen = app.screen
    assert isinstance(screen, FormScreen)
    body = screen.query_one("#form-fields").region
    buttons = screen.query_one("#form-buttons").region
    checked = 0
    for select in list(screen.query(".form-row > Select").results(Select)):
        select.focus()
        screen.query_one("#form-fields").scroll_to_widget(select, animate=False)
        await pilot.pause()
        select.expanded = True
        await pilot.pause()
        await pilot.pause()
        overlay = select.query_one(OptionList).region
        assert overlay.height >= 1, select.id
        assert not overlay.overlaps(buttons), (select.id, overlay, buttons)
        assert body.contains_region(overlay), (select.id, overlay, body)
        select.expanded = False
        await pilot.pause()
        checked += 1
    return checked


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("key", ["t", "n"])
def test_open_select_never_covers_the_buttons(tui_desk, size, key) -> None:
    app = make_app(tui_desk, "alice", lang="zh")

    async def run() -> int:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            if key == "t":
                await pilot.press("2")
                await settle(pilot)
                await cursor_to(pilot, tui_desk.codes["new"])
                await pilot.press("enter")
                await settle(pilot)
            await pilot.press(key)
            await settle(pilot)
            return await _check_every_select(pilot, app)

    assert asyncio.run(run()) >= 4
