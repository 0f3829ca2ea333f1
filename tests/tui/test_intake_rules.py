"""The TUI intake shows what the policy's class and channel rules will make of a complaint
before it is saved (issue 13): a personal injury at the mall is P1 and escalated at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import make_desk
from textual.widgets import Select

from kefu.core import services
from kefu.core.identity import os_login
from kefu.tui.screens.intake import IntakeScreen

from .conftest import NOW, make_app, screen_text, settle

MALL = Path(__file__).resolve().parents[2] / "sample_data" / "profiles" / "mall.toml"


def test_the_form_says_what_the_rules_will_do(tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "kefu.db", profile=MALL, department=None)
    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
    app = make_app(desk, os_login())
    shown: list[str] = []

    async def fill() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)
            shown.append(screen_text(app))
            app.screen.query_one("#field-category", Select).value = "safety"
            await settle(pilot)
            app.screen.query_one("#field-subcategory", Select).value = "injury"
            await settle(pilot)
            shown.append(screen_text(app))
            app.screen.query_one("#field-subcategory", Select).value = "theft"
            await settle(pilot)
            shown.append(screen_text(app))

    asyncio.run(fill())
    before, injury, theft = shown
    assert "the policy makes this complaint" not in before
    assert "the policy makes this complaint at least P1 and escalates it at once" in injury
    assert "the policy makes this complaint at least P2, whatever severity is picked" in theft


def test_the_form_reads_times_as_sheets_write_them_and_names_the_field_in_chinese(tui_desk) -> None:
    from textual.widgets import Input, TextArea

    problems: list[str] = []

    async def fill(incident: str) -> None:
        app = make_app(tui_desk, os_login(), lang="zh")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, IntakeScreen)
            form.query_one("#field-channel", Select).value = "hotline"
            form.query_one("#field-description", TextArea).text = "包裹延误"
            form.query_one("#field-incident_at", Input).value = incident
            await pilot.press("ctrl+s")
            await settle(pilot)
            problems.append(screen_text(app) if isinstance(app.screen, IntakeScreen) else "saved")

    asyncio.run(fill("昨天"))
    asyncio.run(fill("2026年11月23日 下午3点"))
    refused, saved = problems
    assert "发生时间：「昨天」不是日期时间" in refused and "incident_at" not in refused
    assert saved == "saved"
