"""Timeline: a case's history, oldest first, one entry per event.

Entries arrive ready to show (`TimelineEntry`); the widget only lays them out: when and who on
the first line, what changed indented below, the note last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
        text = Text()
        for number, entry in enumerate(entries):
            if number:
                text.append("\n")
            text.append("● ", style=variables.get("primary"))
            text.append(entry.when, style="dim")
            text.append(f"  {entry.actor}  ", style="bold")
            text.append(entry.title)
            for detail in entry.details:
                text.append(f"\n    {detail}", style="dim")
            if entry.note:
                text.append("\n    ")
                text.append(entry.note, style="italic")
        self.update(text)
