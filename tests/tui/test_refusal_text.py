"""Refusals from the transition table are said in Chinese in the Chinese UI (one catalog)."""

from __future__ import annotations

import asyncio

from kefu.core.workflow import refusal

from .conftest import cursor_to, make_app, screen_text, settle


def test_refusal_sentences() -> None:
    def says(action: str, status: str, role: str, lang: str, owner: str | None = None) -> str:
        reason = refusal(action, status, role, is_owner=False, owner=owner)
        assert reason is not None
        return reason.text(lang)

    assert refusal("claim", "triaged", "agent", is_owner=False, owner=None) is None
    assert says("claim", "escalated", "admin", "en").startswith("an admin may not claim")
    zh = says("claim", "escalated", "admin", "zh")
    assert zh.startswith("管理员无权对「升级处理」的工单执行「认领」") and "上级主管" in zh
    assert "admin" not in zh and "escalated" not in zh
    assert "不能执行「驳回无效投诉」" in says("reject", "escalated", "agent", "zh")
    owned = says("wait", "in_progress", "agent", "zh", owner="bob")
    assert owned == "只有负责人（bob）或主管可以对此工单执行「等待客户」"


def test_claim_refused_in_chinese_on_the_queue(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "admin", lang="zh")
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settle(pilot)
            await cursor_to(pilot, tui_desk.codes["triaged"])
            await pilot.press("c")
            await settle(pilot)
            assert any("管理员无权对" in n and "「认领」" in n for n in app.notices), app.notices
            assert "may not" not in screen_text(app)

    asyncio.run(scenario())
