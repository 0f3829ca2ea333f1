"""The triage and reclassify forms start from the case's current values, the sub-category
chosen at intake included (it used to be cleared when the form opened)."""

from __future__ import annotations

import asyncio

from textual.widgets import Select

from kefu.core import intake
from kefu.core.identity import os_login
from kefu.core.workflow import Action, Status, find_transition
from kefu.tui.screens.action_form import ActionForm

from .conftest import NOW, field_items, make_app, open_case, settle


def test_the_triage_form_keeps_the_subcategory_chosen_at_intake(tui_desk) -> None:
    with tui_desk.write() as session:
        code = intake.create_case(
            session=session, actor=tui_desk.user("alice"), now=NOW, channel="hotline",
            description="包裹延误三天", category="delay", subcategory="transit",
        ).code  # fmt: skip
    app = make_app(tui_desk, os_login())

    async def open_triage() -> tuple[object, object]:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_case(pilot, code)
            await pilot.press("t")
            await settle(pilot)
            assert isinstance(app.screen, ActionForm)
            return (
                app.screen.query_one("#field-category", Select).value,
                app.screen.query_one("#field-subcategory", Select).value,
            )

    assert asyncio.run(open_triage()) == ("delay", "transit")
    assert find_transition(Action.RECLASSIFY, Status.IN_PROGRESS) is not None


def test_the_approve_form_shows_the_money_and_the_case_shows_its_ledger(tui_desk) -> None:
    """The supervisor approving sees the amount and kind asked for, what the case has paid and
    the total if the customer accepts; the case screen lists the ledger."""
    from datetime import timedelta

    from textual.widgets import Static

    from kefu.core import lifecycle

    with tui_desk.write() as session:
        code = intake.create_case(
            session=session, actor=tui_desk.user("alice"), now=NOW, channel="hotline",
            description="包裹破损", category="delay", severity="P3", party="courier", department="cs",
        ).code  # fmt: skip
    steps = [("claim", "alice", {}),
             ("propose", "alice", {"resolution": "compensation", "amount": 150, "compensation_kind": "cash"}),
             ("confirm", "alice", {"satisfied": "yes"}), ("reopen", "alice", {"note": "又坏了"}),
             ("propose", "alice", {"resolution": "compensation", "amount": 120,
                                   "compensation_kind": "cash"})]  # fmt: skip
    for minutes, (action, who, fields) in enumerate(steps, start=1):
        with tui_desk.write() as session:
            lifecycle.move_case(session=session, code=code, action=action, actor=tui_desk.user(who),
                                now=NOW + timedelta(minutes=minutes), **fields)  # fmt: skip
    app = make_app(tui_desk, os_login(), lang="zh")

    async def open_approve() -> tuple[str, str]:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_case(pilot, code)
            fields = " | ".join(f"{label}: {value}" for label, value in field_items(screen).items())
            await pilot.press("v")
            await settle(pilot)
            assert isinstance(app.screen, ActionForm)
            return str(app.screen.query_one("#form-intro", Static).render()), fields

    intro, fields = asyncio.run(open_approve())
    assert (
        intro == "本次补偿 120 CNY（现金）。本案已付 150 CNY，客户接受后共 270 CNY（超过 200 CNY 需审批）。"
    )
    assert "已付补偿: 150 CNY（#1 150 已支付 · #2 120 待审批）" in fields


def test_merge_from_the_case_screen_starts_from_the_case_it_repeats(tui_desk) -> None:
    from textual.widgets import Input

    from kefu.core import lifecycle

    codes = []
    for _ in range(2):
        with tui_desk.write() as session:
            codes.append(
                intake.create_case(
                    session=session,
                    actor=tui_desk.user("alice"),
                    now=NOW,
                    channel="hotline",
                    description="同一个包裹",
                    customer_phone="13812345678",
                ).code  # fmt: skip
            )
    original, duplicate = codes
    app = make_app(tui_desk, os_login(), lang="zh")

    async def merge() -> str:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_case(pilot, duplicate)
            await pilot.press("m")
            await settle(pilot)
            assert isinstance(app.screen, ActionForm)
            into = app.screen.query_one("#field-into", Input).value
            await pilot.press("ctrl+s")
            screen = await open_case(pilot, original)
            items = field_items(screen)
            return into, items["该客户其他工单"], items["合并自"]

    into, others, merged = asyncio.run(merge())
    assert into == original
    assert others == f"1 个：{duplicate} 已结案 已合并" and merged.startswith(duplicate)
    with tui_desk.read() as session:
        case = lifecycle.get_case(session, duplicate)
    assert (case.status, case.close_reason) == ("closed", "merged")


def test_the_customer_is_corrected_from_the_case_screen_and_a_refusal_keeps_the_form(tui_desk) -> None:
    """`u` opens the customer's details as recorded; a correction without a reason is refused
    in the form (what was typed stays); with one it is written as `kefu case set` writes it."""
    from textual.widgets import Input, TextArea

    from kefu.core import lifecycle

    with tui_desk.write() as session:
        code = intake.create_case(
            session=session, actor=tui_desk.user("alice"), now=NOW, channel="hotline",
            description="电话记错了", customer_phone="13812345678", customer_name="王芳",
        ).code  # fmt: skip
    app = make_app(tui_desk, os_login(), lang="zh")

    async def correct() -> tuple[str, str, str]:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_case(pilot, code)
            await pilot.press("u")
            await settle(pilot)
            form = app.screen
            phone = form.query_one("#field-customer_phone", Input)
            before = phone.value
            phone.value = "+86 139 0000 1111"
            await pilot.press("ctrl+s")
            await settle(pilot)
            refused = " ".join(str(w.render()) for w in form.query(".field-error, #form-error"))
            kept = phone.value
            form.query_one("#field-note", TextArea).text = "客户来电更正号码"
            await pilot.press("ctrl+s")
            await settle(pilot)
            return before, kept, refused

    before, kept, refused = asyncio.run(correct())
    assert before == "13812345678" and kept == "+86 139 0000 1111"
    assert "请填写原因" in refused
    with tui_desk.read() as session:
        case = lifecycle.get_case(session, code)
        last = lifecycle.case_events(session, case)[-1]
    assert case.customer_phone == "13900001111"
    assert (last.action, last.note, last.changes) == (
        "update",
        "客户来电更正号码",
        {"customer_phone": ["13812345678", "13900001111"]},
    )
