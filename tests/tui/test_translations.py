"""Link kinds, complexity and the core's own notes are shown translated in both languages."""

from __future__ import annotations

import asyncio

import pytest
from conftest import NOW

from kefu.core import intake
from kefu.tui.i18n import link_kind, system_note, word
from kefu.tui.screens.case import CaseScreen

from .conftest import PHONE, make_app, screen_text, settle, type_text


def test_words_links_and_system_notes() -> None:
    assert word("simple", "en") == "Simple" and word("complex", "zh") == "复杂"
    assert link_kind("repeat_of_this", "en") == "repeated by"
    assert link_kind("repeat", "zh") == "重复投诉于"
    assert system_note("repeat complaint: KD-1, KD-2", "zh") == "重复投诉：KD-1, KD-2"
    assert system_note("repeat complaint: KD-1", "en") == "repeat complaint: KD-1"
    assert system_note("called the customer", "zh") == "called the customer"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_case_screen_shows_links_complexity_and_notes_translated(tui_desk, lang) -> None:
    closed = tui_desk.codes["closed"]
    with tui_desk.write() as session:
        repeat = intake.create_case(
            session=session,
            actor=tui_desk.user("alice"),
            now=NOW,
            received_at=NOW,
            channel="hotline",
            description="again",
            customer_phone=PHONE,
        ).code

    async def scenario() -> None:
        app = make_app(tui_desk, "alice", lang=lang)
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            for code, expected in (
                (closed, ("repeated by", "被重复投诉")),
                (repeat, ("repeat of", "重复投诉于")),
            ):
                await pilot.press("slash")
                await settle(pilot)
                await type_text(pilot, code)
                await pilot.press("enter")
                await settle(pilot)
                await pilot.press("enter")
                await settle(pilot)
                assert isinstance(app.screen, CaseScreen)
                text = screen_text(app)
                assert expected[1 if lang == "zh" else 0] in text
                assert "_of_this" not in text
                if code == closed:
                    assert ("简单" if lang == "zh" else "Simple") in text
                else:
                    note = "重复投诉：" if lang == "zh" else "repeat complaint: "
                    assert note + closed in text
                await pilot.press("escape", "escape")
                await settle(pilot)

    asyncio.run(scenario())
