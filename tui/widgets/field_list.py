"""FieldList: labelled values in two aligned columns; long values wrap under themselves."""

from __future__ import annotations

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.widgets import Static


class FieldList(Static):
    DEFAULT_CSS = """
    FieldList {
        height: auto;
    }
    """

    def show(self, items: list[tuple[str, str, Style | str]]) -> None:
        """(label, value, value style) triples; empty values are left out."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(ratio=1, overflow="fold")
        for label, value, style in items:
            if value:
                grid.add_row(Text(label), Text(value, style=style))
        self.update(grid)
