"""TUI fixtures: a seeded desk the OS user may open, apps with a frozen clock, and helpers
that wait for workers and read what is on the screen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, Desk, make_desk
from textual.pilot import Pilot
from textual.worker import WorkerState

from kefu.core import intake, lifecycle, services
from kefu.core.identity import os_login
from kefu.tui.app import KefuApp

PHONE = "13800138000"


def seed_cases(desk: Desk) -> dict[str, str]:
    """A handful of cases in different states; returns their codes by nickname."""
    codes: dict[str, str] = {}
    triaged = {"category": "delay", "party": "courier", "department": "cs", "severity": "P3"}
    with desk.write() as session:
        alice, bob, admin = desk.user("alice"), desk.user("bob"), desk.user("admin")

        def new(name: str, hours: float, **fields: Any) -> str:
            at = NOW - timedelta(hours=hours)
            case = intake.create_case(
                session=session,
                actor=alice,
                now=at,
                received_at=at,
                channel=fields.pop("channel", "hotline"),
                **fields,
            )
            codes[name] = case.code
            return case.code

        def move(code: str, action: str, actor: Any, hours: float, **fields: Any) -> None:
            lifecycle.move_case(
                session=session,
                code=code,
                action=action,
                actor=actor,
                now=NOW - timedelta(hours=hours),
                **fields,
            )

        old = new(
            "closed",
            24 * 20,
            description="快递丢失，客户很生气",
            customer_name="王小明",
            customer_phone=PHONE,
            order_no="SF1001",
            **triaged,
        )
        move(old, "claim", alice, 24 * 19)
        move(old, "propose", alice, 24 * 18, resolution="apology")
        move(old, "confirm", alice, 24 * 17, satisfied="yes", score=5)
        new("new", 1, description="包裹三天没有更新物流", customer_name="李雷", order_no="SF2002")
        new("triaged", 3, description="Parcel arrived damaged", customer_name="Han Meimei", **triaged)
        mine = new("mine", 5, description="派送员态度差", customer_name="张伟", **triaged)
        move(mine, "claim", alice, 4)
        bobs = new("bobs", 6, description="Courier never came", customer_name="Lucy", **triaged)
        move(bobs, "claim", bob, 5)
        late = new("late", 30, description="超时未处理的投诉", customer_name="赵六", **triaged)
        move(late, "assign", admin if admin.role != "admin" else desk.user("sue"), 29, owner="alice")
    return codes


@pytest.fixture
def tui_desk(tmp_path: Path) -> Iterator[Desk]:
    """A desk with seeded cases whose admins include the OS user running the tests."""
    desk = make_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
    desk.codes = seed_cases(desk)  # type: ignore[attr-defined]
    yield desk
    desk.engine.dispose()


def make_app(desk: Desk, user: str = "alice", **options: Any) -> KefuApp:
    options.setdefault("clock", lambda: NOW)
    options.setdefault("lang", "en")
    options.setdefault("watch_interval", 0.05)
    options.setdefault("tick_seconds", 3600)
    app = KefuApp(str(desk.path), user=user, **options)
    app.animation_level = "none"  # no tab-underline animation to wait for after each key
    return app


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let workers finish and their messages land (on a busy machine too: keep going until a
    pause starts no new worker)."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
    for _ in range(50):
        await pilot.pause()
        busy = (WorkerState.PENDING, WorkerState.RUNNING)
        if not any(worker.state in busy for worker in app.workers):
            break
        await app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app: KefuApp) -> str:
    """The characters on the top screen, line by line (what the user reads)."""
    lines = (strip.text for strip in app.screen._compositor.render_strips())
    return "\n".join(lines).replace("\xa0", " ")


async def choose(pilot: Pilot[Any], label: str) -> None:
    """Pick the option starting with `label` in the focused Select by keys only: open it,
    type the first letters (type-to-search), confirm."""
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*label[:3])
    await pilot.press("enter")
    await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*[" " if ch == " " else ch for ch in text])


async def cursor_to(pilot: Pilot[Any], code: str) -> None:
    """Move the focused case table's cursor to `code` with the arrow keys."""
    from kefu.tui.widgets.case_table import CaseTable

    table = pilot.app.screen.query_one(CaseTable)
    codes = [row.code for row in table.case_rows]
    assert code in codes, (code, codes)
    while table.selected() is not None and table.selected().code != code:
        await pilot.press("down" if codes.index(code) > table.cursor_row else "up")
    await pilot.pause()


async def open_case(pilot: Pilot[Any], code: str) -> Any:
    """Push the case screen of `code` over whatever is shown and let it load; returns it."""
    from kefu.tui.screens.case import CaseScreen

    await settle(pilot)
    pilot.app.push_screen(CaseScreen(code))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CaseScreen)
    return screen


def field_items(screen: Any) -> dict[str, str]:
    """The case screen's details as label -> text, as shown."""
    return {label: value for label, value, _ in screen._field_items()}
