"""Timeline: a case's history, oldest first, one entry per event.

Entries arrive ready to show (`TimelineEntry`); the widget only lays them out: a bullet, then
when, who and what on the first line, what changed below it, the note last — wrapped lines
stay under their entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class TimelineEntry:
    when: str
    actor: str
    title: str
    details: list[str] = field(default_factory=list)
    note: str | None = None


class Timeline(Static):
    DEFAULT_CSS = """
    Timeline {
        height: auto;
    }
    """

    def show(self, entries: list[TimelineEntry]) -> None:
        variables = self.app.theme_variables
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for entry in entries:
            head = Text()
            head.append(entry.when, style="dim")
            head.append(" ")
            head.append(entry.actor, style="bold")
            head.append(" ")
            head.append(entry.title)
            body = Text("\n").join(
                [head]
                + [Text(detail, style="dim") for detail in entry.details]
                + ([Text(entry.note, style="italic")] if entry.note else [])
            )
            grid.add_row(Text("●", style=variables.get("primary", "")), body)
        self.update(grid)
