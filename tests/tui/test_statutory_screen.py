"""The case screen shows a case's statutory periods and its wait (e-commerce desk), and the
intake form asks for the sign-off and goods-returned dates only where a period counts from them."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import make_desk

from kefu.core import intake, lifecycle, services
from kefu.core.identity import os_login
from kefu.core.policy import bundled_profiles_dir, load_profile_file
from kefu.tui.screens.case import CaseScreen
from kefu.tui.screens.intake import intake_fields

from .conftest import make_app, screen_text, settle

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, tzinfo=SH)


def test_the_intake_form_asks_for_goods_dates_where_the_law_counts_from_them() -> None:
    def names(profile: str) -> set[str]:
        return {
            f.name for f in intake_fields(load_profile_file(bundled_profiles_dir() / f"{profile}.toml"), "zh")
        }

    assert {"delivered_on", "returned_on"} <= names("ecommerce")
    assert "delivered_on" in names("mall") and "returned_on" not in names("mall")
    assert not {"delivered_on", "returned_on"} & names("express")


def test_the_case_screen_shows_statutory_periods_and_the_wait(tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "kefu.db", bundled_profiles_dir() / "ecommerce.toml", NOW, None)
    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
        code = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=NOW,
            channel="online_chat",
            description="七天无理由退货，商家拖着不退款",
            category="after_sales",
            party="merchant",
            department="after_sales",
            delivered_on=date(2026, 11, 20),
            returned_on=date(2026, 11, 24),
        ).code
        alice = desk.user("alice")
        lifecycle.move_case(session=session, code=code, action="claim", actor=alice, now=NOW)
        lifecycle.move_case(
            session=session, code=code, action="wait", actor=alice, now=NOW, note="等客户确认"
        )

    async def look() -> str:
        app = make_app(desk, os_login(), lang="zh", clock=lambda: NOW)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.push_screen(CaseScreen(code))
            await settle(pilot)
            return screen_text(app)

    text = asyncio.run(look())
    # Returned Tue 24 Nov: the refund is due 7 days later, Tue 1 Dec, until 24:00.
    assert (
        "法定时限" in text and "2026-12-01 24:00 届满" in text and "收到退回商品之日起七日内返还价款" in text
    )
    # Signed for Fri 20 Nov: the no-reason window ran to Fri 27 Nov; the complaint came inside it.
    assert "2026-11-27 24:00 届满" in text and "投诉在期内" in text
    assert "等待客户" in text and "自 2026-11-26 10:00 起等待客户" in text
    desk.engine.dispose()
