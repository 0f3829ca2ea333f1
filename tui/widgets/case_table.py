"""CaseTable: one page of a queue or of search results, with live SLA countdowns.

The table is given rows (core `QueueRow`s) and shows them in the UI language; it never loads
anything. Choosing a row posts `CaseTable.CaseSelected`; moving the cursor posts
`CaseTable.CaseHighlighted` so the screen can re-check which keys apply to that case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from kefu.core.queues import QueueRow
from kefu.core.workflow import status_label, status_short_label

from ..formatting import cell, countdown, severity_text, short_time, state_style
from ..i18n import word

WIDE_FROM = 110
"""Terminal width from which the table shows full labels instead of the compact layout."""

# (key, header, wide width, narrow width)
COLUMNS: tuple[tuple[str, str, int, int], ...] = (
    ("code", "Code", 16, 16),
    ("received", "Received", 11, 5),
    ("channel", "Channel", 10, 4),
    ("category", "Category", 12, 6),
    ("severity", "Sev", 11, 2),
    ("customer", "Customer", 10, 6),
    ("owner", "Owner", 8, 7),
    ("status", "Status", 12, 6),
    ("sla", "SLA", 7, 7),
)
SLA_WIDTH_ZH = 9
"""The countdown column in Chinese, where units take two cells (`-23时00分`)."""


class CaseTable(DataTable[Text]):
    """A page of cases; Enter opens the highlighted one."""

    @dataclass
    class CaseSelected(Message):
        table: CaseTable
        code: str

    @dataclass
    class CaseHighlighted(Message):
        table: CaseTable
        row: QueueRow | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.case_rows: list[QueueRow] = []
        self._column_layout: tuple[bool, bool, str] | None = None
        self._lang = "en"
        self._today: datetime | None = None
        self._revisits = False
        self._drawn: list[tuple[str, tuple[tuple[object, ...], ...]]] = []
        """What the table shows now: each row's code and its cells' text and styles."""

    # -- data in -----------------------------------------------------------------------------

    def show(
        self,
        rows: list[QueueRow],
        *,
        lang: str,
        today: datetime | None,
        revisits: bool = False,
        keep_code: str | None = None,
    ) -> None:
        """Replace the rows, keeping the cursor on `keep_code` (or its old index) if possible.

        Only what changed is redrawn: the same cases in the same order get their changed cells
        updated in place (the cursor stays, no row is rebuilt); the same page shown again costs
        nothing. An open TUI is given its page again after every commit anyone makes."""
        old_index = self.cursor_row
        self.case_rows = rows
        self._lang = lang
        self._today = today
        self._revisits = revisits
        self._render_rows(keep_code=keep_code, old_index=old_index)

    def selected(self) -> QueueRow | None:
        if not self.case_rows or not 0 <= self.cursor_row < len(self.case_rows):
            return None
        return self.case_rows[self.cursor_row]

    # -- drawing -----------------------------------------------------------------------------

    def _wide(self) -> bool:
        return self.app.size.width >= WIDE_FROM

    def _ensure_columns(self) -> None:
        layout = (self._wide(), self._revisits, self._lang)
        if layout == self._column_layout:
            return
        self.clear(columns=True)
        wide = layout[0]
        for key, header, wide_width, narrow_width in COLUMNS:
            if key == "received" and self._revisits:
                header = "Revisit due"
            if key == "severity" and wide:
                header = "Severity"
            if key == "received" and not wide:
                header = "Time"
            width = self._width(key, wide_width if wide else narrow_width)
            self.add_column(cell(word(header, self._lang), width), width=width, key=key)
        self._column_layout = layout

    def _width(self, key: str, width: int) -> int:
        return max(width, SLA_WIDTH_ZH) if key == "sla" and self._lang == "zh" else width

    def _render_rows(self, *, keep_code: str | None = None, old_index: int = 0) -> None:
        layout = self._column_layout
        self._ensure_columns()
        rows = self._cells()
        drawn = [(code, tuple(_look(c) for c in cells)) for code, cells in rows]
        if layout == self._column_layout and [c for c, _ in drawn] == [c for c, _ in self._drawn]:
            keys = [key for key, *_ in COLUMNS]
            for (code, cells), (_, looks), (_, before) in zip(rows, drawn, self._drawn, strict=True):
                for key, value, look, was in zip(keys, cells, looks, before, strict=True):
                    if look != was:
                        self.update_cell(code, key, value)
            self._drawn = drawn
            return
        self.clear()
        self._drawn = drawn
        for code, cells in rows:
            self.add_row(*cells, key=code)
        if not self.case_rows:
            self.post_message(self.CaseHighlighted(self, None))
            return
        index = min(old_index, len(self.case_rows) - 1)
        if keep_code is not None:
            for number, row in enumerate(self.case_rows):
                if row.code == keep_code:
                    index = number
                    break
        self.move_cursor(row=max(index, 0), animate=False)

    def _cells(self) -> list[tuple[str, tuple[Text, ...]]]:
        """Each row's code and its cells, in the order of COLUMNS."""
        wide = self._wide()
        widths = {key: self._width(key, w if wide else n) for key, _, w, n in COLUMNS}
        variables = self.app.theme_variables
        lang = self._lang
        rows = []
        for row in self.case_rows:
            when = row.revisit_due_local if self._revisits else row.received_local
            severity = severity_text(row.severity, row.label("severity", lang))
            if not wide:
                severity = row.severity
            sla_style = state_style(row.countdown_state, variables)
            values = {
                "code": cell(row.code, widths["code"], "bold"),
                "received": cell(
                    short_time(when) if wide else _narrow_time(when, self._today),
                    widths["received"],
                ),
                "channel": cell(row.label("channel", lang), widths["channel"], crop=not wide),
                "category": cell(row.label("category", lang), widths["category"], crop=not wide),
                "severity": cell(severity, widths["severity"]),
                "customer": cell(row.customer_name or row.customer_phone, widths["customer"]),
                "owner": cell(row.owner or "—", widths["owner"], "" if row.owner else "dim"),
                "status": cell(
                    status_label(row.status, lang) if wide else status_short_label(row.status, lang),
                    widths["status"],
                    crop=not wide,
                ),
                "sla": cell(countdown(row.countdown_minutes, lang), widths["sla"], sla_style),
            }
            rows.append((row.code, tuple(values[key] for key, *_ in COLUMNS)))
        return rows

    def on_resize(self) -> None:
        if self._column_layout is not None and self._column_layout[0] != self._wide():
            keep = self.selected()
            self._render_rows(keep_code=keep.code if keep else None, old_index=self.cursor_row)

    # -- messages out ------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.CaseSelected(self, str(event.row_key.value)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.CaseHighlighted(self, self.selected()))


def _look(text: Text) -> tuple[object, ...]:
    """What a cell shows: its text and styles (Text's own == ignores the base style)."""
    return (text.plain, str(text.style), tuple(text.spans))


def _narrow_time(local: datetime | None, today: datetime | None) -> str:
    """Five cells: `09:30` for today, `11-23` for another day."""
    if local is None:
        return ""
    if today is not None and local.date() == today.date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d")
