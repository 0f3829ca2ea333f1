"""The triage and reclassify forms start from the case's current values, the sub-category
chosen at intake included (it used to be cleared when the form opened)."""

from __future__ import annotations

import asyncio

from textual.widgets import Select

from kefu.core import intake
from kefu.core.identity import os_login
from kefu.core.workflow import Action, Status, find_transition
from kefu.tui.screens.action_form import ActionForm
from kefu.tui.screens.case import CaseScreen

from .conftest import NOW, make_app, settle


def test_the_triage_form_keeps_the_subcategory_chosen_at_intake(tui_desk) -> None:
    with tui_desk.write() as session:
        code = intake.create_case(
            session=session, actor=tui_desk.user("alice"), now=NOW, channel="hotline",
            description="包裹延误三天", category="delay", subcategory="transit",
        ).code  # fmt: skip
    app = make_app(tui_desk, os_login())

    async def open_triage() -> tuple[object, object]:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.push_screen(CaseScreen(code))
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            assert isinstance(app.screen, ActionForm)
            return (
                app.screen.query_one("#field-category", Select).value,
                app.screen.query_one("#field-subcategory", Select).value,
            )

    assert asyncio.run(open_triage()) == ("delay", "transit")
    assert find_transition(Action.RECLASSIFY, Status.IN_PROGRESS) is not None
