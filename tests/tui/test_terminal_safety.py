"""The TUI shows hostile customer text neutralised (issue 12), also for a row written raw."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from kefu.core import intake
from kefu.core.identity import os_login

from .conftest import NOW, field_items, make_app, open_case


def test_the_case_screen_never_hands_an_escape_sequence_to_the_terminal(tui_desk) -> None:
    with tui_desk.write() as session:
        code = intake.create_case(
            session=session, actor=tui_desk.user("alice"), now=NOW, channel="hotline", description="x",
            customer_name="王芳",
        ).code  # fmt: skip
        session.execute(text("UPDATE cases SET description = :d, customer_name = :n"),
                        {"d": "坏\x1b[2J\x1b]0;pwned\x07", "n": "王\u202e芳"})  # fmt: skip
    app = make_app(tui_desk, os_login(), lang="zh")

    async def shown() -> dict[str, str]:
        async with app.run_test(size=(120, 40)) as pilot:
            return field_items(await open_case(pilot, code))

    items = asyncio.run(shown())
    assert items["投诉内容"] == "坏␛[2J␛]0;pwned␇" and items["客户"] == "王�芳"
