"""A damaged file under the TUI (issue 12): a screen whose query meets a damaged page says so in
one sentence — the notice the CLI prints — and the app keeps running; the desk is marked, so the
next write anyone tries is refused."""

from __future__ import annotations

import asyncio
import random
import sqlite3

from .conftest import make_app, settle


def test_the_dashboard_on_a_damaged_desk_says_so_and_keeps_running(tui_desk) -> None:
    tui_desk.engine.dispose()
    with sqlite3.connect(tui_desk.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        leaves = [
            r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'cases' AND pagetype = 'leaf'")
        ]
    with open(tui_desk.path, "r+b") as f:  # the first page of cases: what a full scan reads
        f.seek((leaves[0] - 1) * 4096)
        f.write(b"\x0d" + random.Random(1).randbytes(300))
    app = make_app(tui_desk, "sue")
    notices: list[str] = []

    async def look() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            app.notify = lambda message, **kw: notices.append(str(message))  # type: ignore[method-assign]
            await settle(pilot)
            await pilot.press("f3")
            await settle(pilot)
            assert app.is_running

    asyncio.run(look())
    assert any("is damaged (database disk image is malformed)" in n for n in notices), notices
    assert (tui_desk.path.parent / "kefu.db.damaged").exists()
