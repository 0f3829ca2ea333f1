"""Countdowns and cells as the tables show them."""

from __future__ import annotations

import pytest

from kefu.tui.formatting import cell, countdown, severity_text


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (None, ""),
        (0.4, "0m"),
        (59.9, "59m"),
        (133.5, "2h13m"),
        (3000, "2d02h"),
        (-0.4, "-1m"),
        (-35, "-35m"),
        (-61, "-1h01m"),
        (-3000, "-2d02h"),
    ],
)
def test_countdown(minutes: float | None, shown: str) -> None:
    assert countdown(minutes) == shown


def test_cells_count_chinese_as_two_and_are_never_markup() -> None:
    assert cell("客服热线", 4, crop=True).plain == "客服"
    assert cell("客服热线", 5).plain == "客服…"
    assert cell("[bold]x[/]", 20).plain == "[bold]x[/]"


def test_severity_label_does_not_repeat_its_code() -> None:
    assert severity_text("P2", "P2 High") == "P2 High"
    assert severity_text("P2", "High") == "P2 High"
    assert severity_text("P2", "") == "P2"
