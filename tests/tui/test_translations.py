"""Link kinds, complexity and the core's own notes are shown translated in both languages."""

from __future__ import annotations

import asyncio

import pytest
from conftest import NOW

from kefu.core import intake
from kefu.core.messages import Message
from kefu.core.views import HistoryEntry
from kefu.core.workflow import link_label, word_label
from kefu.tui.i18n import word
from kefu.tui.screens.case import CaseScreen

from .conftest import PHONE, make_app, screen_text, settle, type_text


def test_words_links_and_system_notes_come_from_the_core() -> None:
    assert word_label("simple", "en") == "Simple" and word_label("complex", "zh") == "复杂"
    assert link_label("repeat_of_this", "en") == "repeated by"
    assert link_label("repeat", "zh") == "重复投诉于"
    # An action named by its English label is the transition table's; other words the catalog's.
    assert word("Claim", "zh") == "认领" and word("Propose resolution", "zh") == "提出解决方案"
    assert word("New complaint", "zh") == "新投诉" and word("New complaint", "en") == "New complaint"

    def entry(note: str | None, message: Message | None) -> HistoryEntry:
        return HistoryEntry(NOW, "kefu", "create", None, "new", {}, note, message)

    system = entry("repeat complaint: KD-1, KD-2", Message("note.repeat_complaint", codes=["KD-1", "KD-2"]))
    assert system.note_text("zh") == "重复投诉：KD-1、KD-2"
    assert system.note_text("en") == "repeat complaint: KD-1, KD-2"
    assert entry("called the customer", None).note_text("zh") == "called the customer"


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
