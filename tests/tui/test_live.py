"""Several people on one file: changes show up in every open TUI, and a lost race is told."""

from __future__ import annotations

import asyncio
import time

from kefu.core import lifecycle
from kefu.tui.screens.case import CaseScreen
from kefu.tui.widgets.case_table import CaseTable

from .conftest import cursor_to, make_app, screen_text, settle


def test_a_claim_in_one_tui_shows_in_another_within_a_second(tui_desk) -> None:
    code = tui_desk.codes["triaged"]

    async def scenario() -> float:
        alice = make_app(tui_desk, "alice")
        bob = make_app(tui_desk, "bob", watch_interval=0.5)  # the app's default
        async with alice.run_test(size=(120, 40)) as pa, bob.run_test(size=(120, 40)) as pb:
            await settle(pa)
            await settle(pb)
            await pb.press("3")  # bob watches his team's queue
            await settle(pb)
            bobs_table = bob.screen.query_one(CaseTable)
            row = next(r for r in bobs_table.case_rows if r.code == code)
            assert row.owner is None
            await pa.press("2")  # alice: unassigned
            await settle(pa)
            await cursor_to(pa, code)
            await pa.press("c")
            await settle(pa)
            assert f"Claimed {code}" in alice.notices
            claimed = time.monotonic()
            while time.monotonic() - claimed < 3:
                await pb.pause(0.05)
                row = next(r for r in bobs_table.case_rows if r.code == code)
                if row.owner == "alice":
                    break
            seen_after = time.monotonic() - claimed
            assert row.owner == "alice"
            assert "alice" in screen_text(bob)
            return seen_after

    seen_after = asyncio.run(scenario())
    assert seen_after < 1.2, f"bob saw the claim after {seen_after:.2f} s"


def test_two_agents_claiming_one_case_one_wins_the_other_is_told(tui_desk) -> None:
    code = tui_desk.codes["triaged"]

    async def scenario() -> None:
        alice = make_app(tui_desk, "alice")
        # Bob's TUI does not poll, so his screen still shows the case unclaimed when he acts.
        bob = make_app(tui_desk, "bob", watch_interval=3600)
        async with alice.run_test(size=(120, 40)) as pa, bob.run_test(size=(120, 40)) as pb:
            for pilot in (pa, pb):
                await settle(pilot)
                await pilot.press("2")
                await settle(pilot)
                await cursor_to(pilot, code)
                await pilot.press("enter")
                await settle(pilot)
                assert isinstance(pilot.app.screen, CaseScreen)
                assert pilot.app.screen.check_action("act", ("claim",)) is True
            await pa.press("c")
            await settle(pa)
            await pb.press("c")
            await settle(pb)
            told = bob.screen.message_text
            assert "changed since you opened it" in told and "owner alice" in told, told
            # Bob now sees the new owner, and claiming is no longer offered to him.
            assert "Owner: alice" in screen_text(bob)
            assert bob.screen.check_action("act", ("claim",)) is False

    asyncio.run(scenario())
    with tui_desk.read() as session:
        case = lifecycle.get_case(session, code)
        claims = [e for e in lifecycle.case_events(session, case) if e.action == "claim"]
    assert case.owner == "alice" and case.status == "in_progress"
    assert [e.actor for e in claims] == ["alice"]
