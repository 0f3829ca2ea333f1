"""Form behaviour: errors go away once the field is fixed; a phrase leaves the cursor after it;
the transition forms check with the core's own rules and say what is wrong on the field."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import TextArea

from kefu.core.errors import InvalidInput
from kefu.core.policy import bundled_profiles_dir, load_profile_file
from kefu.core.workflow import find_transition
from kefu.tui.forms import transition_checker
from kefu.tui.screens.form import FormScreen

from .conftest import choose, cursor_to, make_app, screen_text, settle, type_text


def test_a_required_error_clears_when_the_field_is_chosen(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "alice", lang="zh")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("2")
            await settle(pilot)
            await cursor_to(pilot, tui_desk.codes["new"])
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, FormScreen)
            assert "请选择类别" in screen_text(app)
            # Category is focused: choose one, and the error about it goes away.
            select = app.screen.query_one("#field-category")
            assert app.focused is select
            select.value = "delay"
            await settle(pilot)
            assert "请选择类别" not in screen_text(app)
            # Saving again names the next missing field.
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "请选择责任方" in screen_text(app)

    asyncio.run(scenario())


def test_a_standard_phrase_leaves_the_cursor_after_its_text(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "alice")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await cursor_to(pilot, tui_desk.codes["mine"])
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("l")
            await settle(pilot)
            await pilot.press("tab")
            await choose(pilot, "Apo")
            await pilot.press("tab")
            await settle(pilot)
            assert isinstance(app.focused, TextArea)
            await type_text(pilot, " Bye")
            assert app.screen.value_of("text") == "We are sorry for the trouble. Bye"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("action", "status", "fields", "field", "zh"),
    [
        ("propose", "in_progress", {"resolution": "apology", "amount": "20"}, "amount", "「致歉」不涉及金额"),
        (
            "propose",
            "in_progress",
            {"resolution": "compensation", "amount": "20"},
            "compensation_kind",
            "需注明补偿方式",
        ),
        ("propose", "in_progress", {"resolution": "compensation", "amount": "x"}, "amount", "金额必须是数字"),
        ("confirm", "resolved", {"satisfied": "yes", "score": "9"}, "score", "评分须在 1 到 5 之间"),
        ("revisit", "closed", {"outcome": "unsatisfied"}, "note", "回访不满意时"),
        ("reject", "new", {"reason": "duplicate"}, "duplicate_of", "需填写原工单号"),
    ],
)
def test_transition_forms_check_with_the_core(action, status, fields, field, zh) -> None:
    """The form's check is `lifecycle.validate_fields`: every rule the core applies on saving
    (an amount a resolution pays none of, the kind of compensation, the score range, ...)."""
    profile = load_profile_file(bundled_profiles_dir() / "express.toml")
    transition = find_transition(action, status)
    assert transition is not None
    with pytest.raises(InvalidInput) as refused:
        transition_checker(transition, profile, "KD-1")(fields)
    assert refused.value.field == field
    assert zh in refused.value.text("zh")


def test_a_core_refusal_is_shown_in_chinese_on_its_field(tui_desk) -> None:
    async def scenario() -> None:
        app = make_app(tui_desk, "alice", lang="zh")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await cursor_to(pilot, tui_desk.codes["mine"])
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("p")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, FormScreen)
            form.set_value("resolution", "apology")
            form.set_value("amount", "20")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is form  # still open: nothing was sent
            text = screen_text(app)
            assert "不涉及金额" in text and "takes no amount" not in text
            assert app.focused is form.query_one("#field-amount")
            assert form.query_one("#row-amount").has_class("-invalid")
            # Changing the amount clears the error and the mark.
            form.set_value("amount", "")
            await settle(pilot)
            assert "不涉及金额" not in screen_text(app)
            assert not form.query_one("#row-amount").has_class("-invalid")

    asyncio.run(scenario())
