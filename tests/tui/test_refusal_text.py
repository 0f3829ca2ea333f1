"""Refusals from the transition table are said in Chinese in the Chinese UI."""

from __future__ import annotations

import asyncio

from kefu.tui.refusals import refusal_text

from .conftest import cursor_to, make_app, screen_text, settle


def test_refusal_sentences() -> None:
    def says(action: str, status: str, role: str, lang: str, owner: str | None = None) -> str:
        text = refusal_text(action, status, role, is_owner=False, owner=owner, lang=lang)
        assert text is not None
        return text

    assert refusal_text("claim", "triaged", "agent", is_owner=False, owner=None, lang="zh") is None
    assert says("claim", "escalated", "admin", "en").startswith("an admin may not claim")
    zh = says("claim", "escalated", "admin", "zh")
    assert zh.startswith("管理员无权认领「升级处理」的工单") and "上级主管" in zh
    assert "admin" not in zh and "escalated" not in zh
    assert "无法驳回" in says("reject", "escalated", "agent", "zh")


def test_claim_refused_in_chinese_on_the_queue(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "admin", lang="zh")
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settle(pilot)
            await cursor_to(pilot, tui_desk.codes["triaged"])
            await pilot.press("c")
            await settle(pilot)
            assert any("管理员无权认领" in n for n in app.notices), app.notices
            assert "may not" not in screen_text(app)

    asyncio.run(scenario())
