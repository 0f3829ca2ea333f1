"""ActionBar: the actions on this case with their keys — bright when this user may take them
now, dim when they exist in this state but are refused to this user.

It only draws what it is given (the case screen asks `check_action`, which asks the
transition table); labels arrive in the UI language.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static


class ActionBar(Static):
    """`[t] Triage  [c] Claim …`, wrapping onto a second line on narrow terminals."""

    DEFAULT_CSS = """
    ActionBar {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    def show(self, actions: list[tuple[str, str, bool]], empty: str) -> None:
        """(key, label, enabled) triples; a disabled one is drawn dim. `empty` is said when
        nothing is enabled."""
        variables = self.app.theme_variables
        key_style = Style(color=variables.get("accent"), bold=True, reverse=True)
        text = Text(no_wrap=False)
        if not any(enabled for _, _, enabled in actions):
            text.append(empty + "  ", style="dim")
        for number, (key, label, enabled) in enumerate(actions):
            label = label.replace(" ", "\u00a0")  # wrap between actions, never inside one
            if number:
                text.append("  ")
            if enabled:
                text.append(f" {key} ", style=key_style)
                text.append(f" {label}")
            else:
                text.append(f" {key}  {label}", style="dim")
        self.update(text)
