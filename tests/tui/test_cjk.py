"""Chinese at 80×24: labels, CJK widths, typing Chinese into the intake form."""

from __future__ import annotations

import asyncio

from rich.cells import cell_len

from kefu.core import lifecycle
from kefu.tui.screens.case import CaseScreen
from kefu.tui.screens.intake import IntakeScreen
from kefu.tui.widgets.case_table import CaseTable

from .conftest import choose, cursor_to, make_app, screen_text, settle, type_text


def test_chinese_desk_fits_80_columns(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "alice", lang="zh")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            text = screen_text(app)
            lines = text.splitlines()
            assert len(lines) == 24 and all(cell_len(line) <= 80 for line in lines)
            for word in ("我的", "待认领", "超时预警", "工单号", "时限", "赵六", "张伟", "处理中"):
                assert word in text, word
            # Every column, the SLA countdown last, is on screen without scrolling sideways.
            table = app.screen.query_one(CaseTable)
            assert table.virtual_size.width <= table.size.width
            assert "-23时00分" in text  # durations in Chinese units, the column wide enough
            await cursor_to(pilot, tui_desk.codes["late"])
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
            text = screen_text(app)
            for word in ("时限", "首次响应", "已超时", "超时未处理的投诉", "客服热线", "升级", "备注"):
                assert word in text, word
            await pilot.press("f2")  # and back to English
            await settle(pilot)
            assert "First response" in screen_text(app)
            assert "Escalate" in screen_text(app)

    asyncio.run(scenario())


def test_typing_a_chinese_complaint(tui_desk) -> None:
    async def scenario() -> str:
        app = make_app(tui_desk, "alice", lang="zh")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)
            await choose(pilot, "客服")
            await pilot.press("tab")
            await type_text(pilot, "韩梅梅")
            await pilot.press("tab", "tab", "tab")
            await type_text(pilot, "快递员把包裹扔在门口")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
            assert "快递员把包裹扔在门口" in screen_text(app)
            return app.screen.code

    code = asyncio.run(scenario())
    with tui_desk.read() as session:
        case = lifecycle.get_case(session, code)
    assert case.customer_name == "韩梅梅"
    assert case.description == "快递员把包裹扔在门口"
    assert case.channel == "hotline"
