"""A complaint from intake to closure driven entirely by keys, checked on screen and in the core."""

from __future__ import annotations

import asyncio

from kefu.core import lifecycle
from kefu.tui.screens.case import CaseScreen
from kefu.tui.screens.intake import IntakeScreen
from kefu.tui.screens.queues import QueueScreen

from .conftest import PHONE, choose, make_app, screen_text, settle, type_text


def test_intake_triage_claim_propose_confirm_by_keys(tui_desk) -> None:
    app = make_app(tui_desk, "alice")
    code = asyncio.run(_walk_a_complaint_through(app, tui_desk))
    with tui_desk.read() as session:
        case = lifecycle.get_case(session, code)
        events = [e.action for e in lifecycle.case_events(session, case)]
    assert case.status == "closed"
    assert case.owner == "alice"
    assert case.category == "delay" and case.party == "courier" and case.department == "cs"
    assert case.resolution == "apology" and case.satisfied is True
    assert events == ["create", "link", "triage", "claim", "propose", "confirm"]


async def _walk_a_complaint_through(app, tui_desk) -> str:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        await choose(pilot, "Hotline")
        await pilot.press("tab")
        await type_text(pilot, "Wang")
        await pilot.press("tab")
        await type_text(pilot, PHONE)
        await settle(pilot)
        await pilot.pause(0.4)
        await settle(pilot)
        # The phone matches an earlier complaint: the agent is warned before saving.
        closed = tui_desk.codes["closed"]
        assert "Repeat complaint" in screen_text(app)
        assert closed in screen_text(app)
        await pilot.press("tab", "tab")
        await type_text(pilot, "Parcel lost again")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        code = app.screen.code
        with tui_desk.read() as session:
            case = lifecycle.get_case(session, code)
            assert case.status == "new"
            assert case.repeat_of == closed
            assert case.customer_phone == PHONE

        await pilot.press("t")
        await settle(pilot)
        await choose(pilot, "Delay")
        await pilot.press("tab", "tab", "tab", "tab")  # subcategory, severity, complexity
        await choose(pilot, "Courier")
        await pilot.press("tab")
        await choose(pilot, "Customer")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert "Triaged" in screen_text(app)

        await pilot.press("c")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await choose(pilot, "Apology")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await choose(pilot, "yes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert "Closed" in screen_text(app)
    return code
