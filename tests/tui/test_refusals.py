"""What the transition table forbids is dimmed or hidden, and forcing it shows the core's reason."""

from __future__ import annotations

import asyncio

from kefu.core import lifecycle
from kefu.core.workflow import refusal
from kefu.tui.screens.case import CaseScreen
from kefu.tui.widgets.action_bar import ActionBar
from kefu.tui.widgets.case_table import CaseTable

from .conftest import cursor_to, make_app, screen_text, settle


def _version(desk, code: str) -> tuple[str, int, str | None]:
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        return case.status, case.version, case.owner


def test_another_agents_case_dims_owner_actions_and_explains_them(tui_desk) -> None:
    code = tui_desk.codes["mine"]  # alice's case, in progress
    before = _version(tui_desk, code)

    def core_reason(action: str, status: str, user: str, owner: str | None = "alice") -> str:
        role = tui_desk.user(user).role
        return f"{code}: {refusal(action, status, role, is_owner=owner == user, owner=owner)}"

    async def scenario() -> None:
        app = make_app(tui_desk, "bob")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("3")  # team
            await settle(pilot)
            await cursor_to(pilot, code)
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, CaseScreen)
            # Owner-only actions exist in this state but not for bob: dimmed, not offered.
            assert screen.check_action("act", ("propose",)) is None
            assert screen.check_action("act", ("wait",)) is None
            # Actions that do not exist from in_progress are hidden.
            assert screen.check_action("act", ("approve",)) is False
            assert screen.check_action("act", ("triage",)) is False
            bar = screen.query_one(ActionBar)
            assert "Propose resolution" in str(bar.content).replace("\xa0", " ")

            await pilot.press("p")
            await settle(pilot)
            assert screen.message_text == core_reason("propose", "in_progress", "bob")
            assert "only the owner (alice)" in screen.message_text
            assert "only the owner (alice)" in screen_text(app)

            await pilot.press("v")
            await settle(pilot)
            assert screen.message_text == core_reason("approve", "in_progress", "bob")
            assert "pending_approval" in screen.message_text

            # Forced from the command palette: the same reason, nothing changes.
            await pilot.press("ctrl+p")
            await settle(pilot)
            await pilot.press(*"Wait for")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
            assert app.screen.message_text == core_reason("wait", "in_progress", "bob")

    asyncio.run(scenario())
    assert _version(tui_desk, code) == before


def test_an_analyst_sees_masked_customers_and_may_not_act(tui_desk) -> None:
    code = tui_desk.codes["triaged"]
    before = _version(tui_desk, code)

    def core_reason(action: str, status: str, user: str, owner: str | None = None) -> str:
        role = tui_desk.user(user).role
        return f"{code}: {refusal(action, status, role, is_owner=owner == user, owner=owner)}"

    async def scenario() -> None:
        app = make_app(tui_desk, "ana")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            # Analysts have no queue of their own: the first tab is the unassigned one.
            table = app.screen.query_one(CaseTable)
            row = next(r for r in table.case_rows if r.code == code)
            assert row.customer_name == "H*********"
            assert "Han Meimei" not in screen_text(app)
            await cursor_to(pilot, code)
            await pilot.press("c")
            await settle(pilot)
            assert app.notices[-1] == core_reason("claim", "triaged", "ana", owner=None)
            assert "roles allowed" in app.notices[-1]
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, CaseScreen)
            assert screen.check_action("act", ("claim",)) is None
            assert screen.check_action("note", ()) is None
            await pilot.press("n")
            await settle(pilot)
            assert screen.message_text.startswith("an analyst may not write on cases")
            assert "no actions for you here" in screen_text(app)

    asyncio.run(scenario())
    assert _version(tui_desk, code) == before
