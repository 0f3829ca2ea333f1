"""Snapshots of the main screens at 80×24 and 120×40 (frozen clock, seeded desk, no blinking).

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from .conftest import cursor_to, make_app, settle


async def _still(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, Input | TextArea)
        widget.cursor_blink = False
    await pilot.pause()


def test_queues_80x24_chinese(tui_desk, snap_compare) -> None:
    app = make_app(tui_desk, "alice", lang="zh")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_still)


def test_unassigned_queue_120x40(tui_desk, snap_compare) -> None:
    app = make_app(tui_desk, "alice")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("2")
        await _still(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_case_80x24_chinese(tui_desk, snap_compare) -> None:
    app = make_app(tui_desk, "alice", lang="zh")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await cursor_to(pilot, tui_desk.codes["late"])
        await pilot.press("enter")
        await _still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_case_with_history_120x40(tui_desk, snap_compare) -> None:
    app = make_app(tui_desk, "alice")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*tui_desk.codes["closed"], "enter")
        await settle(pilot)
        await pilot.press("enter")
        await _still(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_triage_form_80x24(tui_desk, snap_compare) -> None:
    app = make_app(tui_desk, "alice")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await cursor_to(pilot, tui_desk.codes["new"])
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("t")
        await _still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
