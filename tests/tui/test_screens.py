"""The rest of the desk by keys: contacts with standard phrases, notes, forms that check before
saving, paging, sorting, filtering, search, help, language, and the dashboard key."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest import NOW

from kefu.core import intake, lifecycle
from kefu.tui import app as tui_app
from kefu.tui.screens.case import CaseScreen
from kefu.tui.screens.form import FormScreen
from kefu.tui.screens.help import HelpScreen
from kefu.tui.screens.intake import IntakeScreen
from kefu.tui.screens.queues import QueueScreen
from kefu.tui.screens.search import SearchScreen
from kefu.tui.widgets.case_table import CaseTable

from .conftest import choose, cursor_to, make_app, screen_text, settle, type_text


def _events(desk, code: str) -> list:
    with desk.read() as session:
        return list(lifecycle.case_events(session, lifecycle.get_case(session, code)))


def test_contact_with_a_standard_phrase_and_a_note(tui_desk) -> None:
    code = tui_desk.codes["mine"]

    async def scenario() -> None:
        app = make_app(tui_desk, "alice")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await cursor_to(pilot, code)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("l")
            await settle(pilot)
            assert isinstance(app.screen, FormScreen)
            await pilot.press("tab")  # contact kind stays "call"
            await choose(pilot, "Apo")
            # The phrase fills the text, in the UI language, for the agent to edit.
            assert app.screen.value_of("text") == "We are sorry for the trouble."
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
            await pilot.press("n")
            await settle(pilot)
            await type_text(pilot, "Called the station")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "Called the station" in screen_text(app)

    asyncio.run(scenario())
    contact, note = _events(tui_desk, code)[-2:]
    assert contact.action == "contact" and contact.changes["phrase"] == [None, "apology"]
    assert contact.changes["contact"] == [None, "call"]
    assert contact.note == "We are sorry for the trouble."
    assert note.action == "note" and note.note == "Called the station"


def test_forms_check_before_calling_the_core(tui_desk) -> None:
    code = tui_desk.codes["mine"]

    async def scenario() -> None:
        app = make_app(tui_desk, "alice")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)
            assert "Channel is required" in screen_text(app)
            await choose(pilot, "Hot")
            await pilot.press("tab", "tab")
            await type_text(pilot, "12ab")
            await pilot.press("tab", "tab")
            await type_text(pilot, "x")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)  # still open, input kept
            assert "customer_phone '12ab' is not a phone number" in screen_text(app)
            # The core names the field: the cursor is on it and its row is marked.
            assert app.focused is app.screen.query_one("#field-customer_phone")
            assert app.screen.query_one("#row-customer_phone").has_class("-invalid")
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen)

            await cursor_to(pilot, code)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("p")
            await settle(pilot)
            await choose(pilot, "Com")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, FormScreen)
            # The core's own check (lifecycle.validate_fields), shown on the field it names.
            under_amount = str(app.screen.query_one("#error-amount").render())
            assert under_amount == f"{code}: a compensation resolution needs an amount"
            assert app.focused is app.screen.query_one("#field-amount")
            await type_text(pilot, "500")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
            # Above the approval threshold: the core sends it for approval.
            assert "Pending approval" in screen_text(app)

    asyncio.run(scenario())
    with tui_desk.read() as session:
        case = lifecycle.get_case(session, code)
    assert case.status == "pending_approval" and case.compensation_amount == 500


def test_pages_sort_and_filter(tui_desk) -> None:
    with tui_desk.write() as session:
        for number in range(60):
            at = NOW - timedelta(minutes=number)
            intake.create_case(
                session=session,
                actor=tui_desk.user("alice"),
                now=at,
                received_at=at,
                channel="online",
                description=f"bulk {number}",
            )

    async def scenario() -> None:
        app = make_app(tui_desk, "alice")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("2")
            await settle(pilot)
            table = app.screen.query_one(CaseTable)
            first_page = [r.code for r in table.case_rows]
            assert len(first_page) == 50
            assert "rows 1–50 / 62" in screen_text(app)
            await pilot.press("right_square_bracket")
            await settle(pilot)
            second_page = [r.code for r in table.case_rows]
            assert len(second_page) == 12 and not set(first_page) & set(second_page)
            assert "rows 51–62 / 62" in screen_text(app)
            await pilot.press("left_square_bracket")
            await settle(pilot)
            assert [r.code for r in table.case_rows] == first_page

            await pilot.press("s")
            await settle(pilot)
            received = [r.received_at for r in table.case_rows]
            assert received == sorted(received, reverse=True)
            assert "sorted by received" in screen_text(app)

            await pilot.press("f")
            await settle(pilot)
            await pilot.press("tab")
            await choose(pilot, "Hot")  # channel: hotline
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert table.case_rows and {r.channel for r in table.case_rows} == {"hotline"}
            assert "filter: hotline" in screen_text(app)

    asyncio.run(scenario())


def test_search_help_language_and_palette(tui_desk) -> None:
    code = tui_desk.codes["closed"]

    async def scenario() -> None:
        app = make_app(tui_desk, "alice")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("slash")
            await settle(pilot)
            assert isinstance(app.screen, SearchScreen)
            await type_text(pilot, "SF1001")
            await pilot.press("enter")
            await settle(pilot)
            assert [r.code for r in app.screen.query_one(CaseTable).case_rows] == [code]
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen) and app.screen.code == code
            await pilot.press("escape", "escape")
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen)

            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            assert "New complaint" in screen_text(app)
            await pilot.press("escape")
            await pilot.press("f2")
            await settle(pilot)
            assert app.lang == "zh"
            assert "我的" in screen_text(app) and "新投诉" in screen_text(app)

            await pilot.press("ctrl+p")
            await settle(pilot)
            await type_text(pilot, "Help")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)

    asyncio.run(scenario())


def test_dashboard_key(tui_desk, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario(expect_screen: bool) -> None:
        app = make_app(tui_desk, "ana")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("f3")
            await settle(pilot)
            if expect_screen:
                assert type(app.screen).__name__ == "DashboardScreen"
            else:
                assert isinstance(app.screen, QueueScreen)
                assert app.notices[-1] == "The dashboard is not available yet"

    if tui_app.importlib.util.find_spec(tui_app.DASHBOARD_MODULE) is not None:
        asyncio.run(scenario(True))
    monkeypatch.setattr(tui_app, "DASHBOARD_MODULE", "kefu.tui.screens.no_such_dashboard")
    asyncio.run(scenario(False))
