"""Form behaviour: errors go away once the field is fixed; a phrase leaves the cursor after it."""

from __future__ import annotations

import asyncio

from textual.widgets import TextArea

from kefu.tui.screens.form import FormScreen

from .conftest import choose, cursor_to, make_app, screen_text, settle, type_text


def test_a_required_error_clears_when_the_field_is_chosen(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "alice", lang="zh")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("2")
            await settle(pilot)
            await cursor_to(pilot, tui_desk.codes["new"])
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, FormScreen)
            assert "请填写类别" in screen_text(app)
            # Category is focused: choose one, and the error about it goes away.
            select = app.screen.query_one("#field-category")
            assert app.focused is select
            select.value = "delay"
            await settle(pilot)
            assert "请填写类别" not in screen_text(app)
            # Saving again names the next missing field.
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "请填写责任方" in screen_text(app)

    asyncio.run(scenario())


def test_a_standard_phrase_leaves_the_cursor_after_its_text(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "alice")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await cursor_to(pilot, tui_desk.codes["mine"])
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("l")
            await settle(pilot)
            await pilot.press("tab")
            await choose(pilot, "Apo")
            await pilot.press("tab")
            await settle(pilot)
            assert isinstance(app.focused, TextArea)
            await type_text(pilot, " Bye")
            assert app.screen.value_of("text") == "We are sorry for the trouble. Bye"

    asyncio.run(scenario())
