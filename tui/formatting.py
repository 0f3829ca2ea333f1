"""Small presentation helpers shared by widgets: countdowns, times, risk colours, cropping.

Colours come from the running theme's variables ($error, $warning, $success, $primary), looked
up when drawn, so a theme change recolours everything and no hex code appears in kefu.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from rich.style import Style
from rich.text import Text

from kefu.core.messages import duration
from kefu.core.workflow import DeadlineState


def countdown(minutes: float | None, lang: str = "en") -> str:
    """A clock's time left (`2h13m`, `3d04h`) or, once passed, overdue (`-35m`)."""
    return duration(minutes, lang)


def state_style(state: str | None, variables: Mapping[str, str]) -> Style:
    """The style of an SLA state: breached in $error, at risk in $warning, paused dim."""
    if state == DeadlineState.BREACHED:
        return Style(color=variables.get("error"), bold=True)
    if state == DeadlineState.AT_RISK:
        return Style(color=variables.get("warning"), bold=True)
    if state == DeadlineState.PAUSED:
        return Style(dim=True)
    if state in (DeadlineState.MET, DeadlineState.OK):
        return Style(color=variables.get("success"))
    if state == DeadlineState.MET_LATE:
        return Style(color=variables.get("warning"))
    return Style()


def short_time(local: datetime | None, today: datetime | None = None) -> str:
    """`11-24 09:30` (or just `09:30` when `today` is the same local date)."""
    if local is None:
        return ""
    if today is not None and local.date() == today.date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")


def minute(local: datetime | None) -> str:
    """A time of a read model (already in the case's zone) as `2026-11-24 09:30`."""
    return "" if local is None else local.strftime("%Y-%m-%d %H:%M")


def cell(value: str | None, width: int, style: Style | str = "", *, crop: bool = False) -> Text:
    """Plain text cut to `width` terminal cells (CJK counts double), never read as markup;
    with an ellipsis unless `crop` (where the first characters say enough, e.g. 客服热线 → 客服)."""
    overflow: Literal["crop", "ellipsis"] = "crop" if crop else "ellipsis"
    text = Text(value or "", style=style, no_wrap=True, overflow=overflow, end="")
    if text.cell_len > width:
        text.truncate(width, overflow=overflow)
    return text


def severity_text(code: str, label: str) -> str:
    """`P2 High`, without repeating the code when the label already starts with it."""
    if not label or label == code:
        return code
    return label if label.startswith(code) else f"{code} {label}"
