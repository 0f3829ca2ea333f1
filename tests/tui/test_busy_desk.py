"""An open TUI on a busy desk: it keeps up with other people's commits without re-reading
(and redrawing) once per commit, and its footer does not pile up widgets over a day."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import time

from textual.widgets._footer import FooterKey

from kefu.tui.widgets.case_table import CaseTable
from kefu.tui.widgets.footer import KefuFooter

from .conftest import make_app, settle

WRITER = """
import sys
from datetime import UTC, datetime
from kefu.core import db as kdb, services
engine = kdb.open_database(sys.argv[1])
with kdb.read_session(engine) as session:
    bob = services.find_user(session, "bob")
for number in range(int(sys.argv[3])):
    with kdb.write_session(engine) as session:
        services.add_note(session=session, code=sys.argv[2], actor=bob, now=datetime.now(UTC),
                          text=f"note {number}")
"""


def test_a_busy_desk_is_re_read_once_per_gap_and_the_last_change_shows(tui_desk) -> None:
    code = tui_desk.codes["triaged"]

    async def scenario() -> tuple[int, float, int]:
        app = make_app(tui_desk, "alice", watch_interval=0.05, refresh_gap=1.0)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("3")  # the team's queue, where the case is
            await settle(pilot)
            table = app.screen.query_one(CaseTable)
            version = next(r.version for r in table.case_rows if r.code == code)
            first = app.data_version
            writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tui_desk.path), code, "150"])
            started = time.monotonic()
            while writer.poll() is None:
                await pilot.pause(0.05)
            assert writer.returncode == 0
            busy = time.monotonic() - started
            rereads = app.data_version - first
            for _ in range(60):  # the last commit shows within a gap
                await pilot.pause(0.05)
                row = next(r for r in table.case_rows if r.code == code)
                if row.version == version + 150:
                    break
            return rereads, busy, row.version - version

    rereads, busy, seen = asyncio.run(scenario())
    assert seen == 150, "the TUI did not show the last of the other agent's commits"
    assert 1 <= rereads <= busy / 1.0 + 2, f"{rereads} re-reads for 150 commits in {busy:.1f} s"


def test_the_footer_is_redrawn_only_when_its_keys_change_and_leaves_nothing_behind(tui_desk) -> None:
    async def scenario() -> tuple[bool, int, int]:
        app = make_app(tui_desk, "alice")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            footer = app.screen.query_one(KefuFooter)
            keys = list(footer.query(FooterKey))
            for _ in range(10):
                app.screen.refresh_bindings()
                await pilot.pause()
            unchanged = list(footer.query(FooterKey)) == keys
            for _ in range(30):  # every switch of language draws the footer anew
                await pilot.press("f2")
                await pilot.pause()
            await settle(pilot)
            gc.collect()
            alive = sum(isinstance(o, FooterKey) for o in gc.get_objects())
            return unchanged, alive, len(footer.query(FooterKey))

    unchanged, alive, shown = asyncio.run(scenario())
    assert unchanged, "the footer was rebuilt though its keys were the same"
    assert alive <= 2 * shown, f"{alive} footer keys alive, {shown} on screen"  # the last set may linger
