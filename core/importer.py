"""Batch intake: complaints from CSV, JSON Lines and XLSX files, fast and idempotent.

`import_file` streams the file row by row, checks each row with the same rules as a complaint
typed in (`intake.validate_intake`), and stores the good rows in batches of `BATCH_SIZE`, one
write transaction (BEGIN IMMEDIATE) per batch, through SQLAlchemy Core executemany inserts:
no per-row commit and no ORM object per row. A rejected row never stops the others; it is
reported with its line (the CSV physical line where the record starts, the JSON Lines line, the
XLSX row), the column as written in the file and the reason, and can be written with
`errors_path` to a CSV that is fixed and imported again.

Rows are keyed by (source, external id): the source is `--source`, else the row's own `source`
column, else the file name without its suffix; the external id is the row's id column
(`external_id`, `id`, `工单号`, `编号`, ...). A row without one gets `auto-` followed by 32 hex
digits of the SHA-256 of its validated content (every intake field but source and external id),
so the same complaint imported again, from the same or another file, is found again; two
identical rows without ids in one file count once. A row whose key is already stored counts as
"already present" and changes nothing, so re-running an import (after a crash, from cron, on an
overlapping export) never duplicates a case.

Each stored case is what a typed-in case is: every row is planned by the same pure function
(`intake.plan_intake`: status, deadlines from its `received_at` kept as given — read in the
profile's time zone, or `timezone`, when it has no offset — the create event, the escalation of
a severity that escalates on intake), gets a code from the same per-day counter in the same
format (`intake.case_code`), and repeat-complaint links by the same rule (`intake.repeat_window`,
`intake.newest_first`, `intake.link_event`) to earlier cases of the same phone or order (rows
are taken in file order, as if typed in one after another: a row links to cases already stored
and to rows before it in the file). This module only inserts many plans at once; the create
event's note says which file and line the case came from.

What an import asks beyond a typed-in complaint: admins and supervisors import; the header must
name channel, description and received_at (a row without received_at is refused rather than
stamped with the time of the import, which would fake its SLA clocks); a column kefu does not
know refuses the file unless `ignore_unknown`; a value longer than its column holds is refused
(PostgreSQL would refuse the whole batch); files over `MAX_FILE_BYTES` are refused unread, and
the import stops cleanly past `MAX_ROWS` rows or at a broken quote, keeping what came before.

Where the platform forks, reading, checking and preparing rows (all that does not need the
database) runs in a forked child process that hands batches over a pipe, so that it runs on
another core beside the database work; the child leaves as soon as the pipe breaks, so a killed
import leaves no reader behind.

Memory stays flat whatever the file size: rows are read lazily, rejected rows are spooled to a
temporary file, and a batch or two are held at a time (a dry run also remembers an 8-byte hash
of each key it has seen, to count duplicates inside the file).
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import json
import multiprocessing
import operator
import re
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic.fields import PydanticUndefined
from sqlalchemy import Engine, Table, bindparam, func, insert, select, update
from sqlalchemy import text as sa_text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel

from . import db as kdb
from . import history
from .customers import Who, customers_for
from .deadlines import DEADLINE_COLUMNS
from .errors import CannotWrite, InvalidInput, KefuError, PermissionDenied, os_reason
from .exports import WholeFile, safe_cell, unescape_cell
from .history import EVENT_COLUMNS, jsonable
from .intake import (
    INTAKE_ATTRIBUTES,
    INTAKE_FIELDS,
    PLAN_COLUMNS,
    Intake,
    NewCase,
    case_code,
    column_widths,
    correct_contact,
    link_event,
    link_later_repeats,
    newest_first,
    plan_intake,
    repeat_window,
    validate_intake,
)
from .lifecycle import yes_no
from .messages import Message, Text, render
from .models import Case
from .policies import Revisions
from .policy import fold
from .when import DateOnly, WhenError, parse_instant
from .workflow import STATUS_LABELS, SUPERVISING, role_refusal

FORMATS = ("csv", "jsonl", "xlsx")
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
BATCH_SIZE = 1000
"""Rows per write transaction."""
MAX_FILE_BYTES = 256 * 1024 * 1024
"""Larger files are refused before anything is read; split them."""
MAX_XLSX_UNPACKED_BYTES = 1024 * 1024 * 1024
"""An XLSX whose parts unpack to more than this is refused (a zip bomb, or far too big)."""
MAX_EMPTY_RUN = 10_000
"""Empty sheet rows in a row after which an XLSX sheet is taken to end (a sheet formatted down
to row 1,048,576, or a file padded with millions of empty rows, is read in seconds)."""
MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024
"""The largest shared-strings part an XLSX may unpack to (openpyxl holds it all in memory)."""
MAX_ROWS = 1_000_000
"""The import stops (rows before it kept) at a row beyond this; split the file."""
MAX_CELL_CHARS = 1024 * 1024
"""A CSV field or JSON line longer than this is not a complaint but a broken file."""
MAX_ERRORS_KEPT = 1000
"""Rejections kept in the report; the errors file has all of them."""
FORK_READER = True
"""Read, check and prepare rows in a forked child process, beside the database work (where
the platform forks and this process runs no other thread)."""
ERROR_COLUMNS = ("error_line", "error_field", "error_reason")
ROW = "(row)"
"""The field named for a problem with the row as a whole (cell count, JSON syntax)."""

# Column names accepted for each intake field, in English or Chinese. Matching ignores case,
# spaces, hyphens and underscores, so "Customer Name", "customer-name" and "customer_name" agree.
# fmt: off
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "id", "ticket_id", "ticket_no", "case_id", "complaint_id",
                    "工单号", "工单编号", "编号", "投诉编号", "投诉单号", "外部编号", "单据编号"),
    "channel": ("channel", "渠道", "投诉渠道", "受理渠道", "来源渠道"),
    "customer_name": ("customer_name", "customer", "name", "客户姓名", "姓名", "客户", "顾客姓名",
                      "投诉人", "联系人"),
    "customer_phone": ("customer_phone", "phone", "mobile", "tel", "telephone", "联系电话",
                       "手机号", "手机", "手机号码", "电话", "联系方式"),
    "customer_email": ("customer_email", "email", "e-mail", "mail", "邮箱", "电子邮箱", "邮件"),
    "order_no": ("order_no", "order", "order_number", "order_id", "waybill", "waybill_no",
                 "tracking_no", "订单号", "订单编号", "运单号", "快递单号"),
    "received_at": ("received_at", "received", "received_time", "complaint_time", "投诉时间",
                    "受理时间", "来电时间", "接收时间", "提交时间"),
    "category": ("category", "type", "问题类型", "投诉类型", "投诉分类", "问题分类", "类别"),
    "subcategory": ("subcategory", "sub_category", "问题子类", "子类", "二级分类", "投诉子类"),
    "description": ("description", "content", "complaint", "details", "投诉内容", "问题描述",
                    "内容", "详情", "投诉详情"),
    "demand": ("demand", "request", "customer_demand", "客户诉求", "诉求", "客户要求"),
    "severity": ("severity", "priority", "urgency", "紧急程度", "优先级", "严重程度"),
    "complexity": ("complexity", "复杂度", "复杂程度"),
    "target": ("target", "against", "投诉对象"),
    "target_name": ("target_name", "对象名称", "被投诉方"),
    "incident_at": ("incident_at", "incident_time", "occurred_at", "发生时间", "事发时间"),
    "incident_place": ("incident_place", "place", "location", "发生地点", "事发地点", "地点"),
    "delivered_on": ("delivered_on", "delivered", "delivery_date", "signed_on", "sold_on", "签收时间",
                     "签收日期", "交付日期", "收货时间", "收货日期", "售出日期", "购买日期", "购买时间"),
    "returned_on": ("returned_on", "return_received", "退货签收时间", "退货签收日期", "收到退货日期",
                    "退货收货日期", "商家签收退货"),
    "party": ("party", "responsible_party", "responsibility", "责任方", "责任归属"),
    "department": ("department", "dept", "queue", "处理部门", "部门", "受理部门"),
    "source": ("source", "来源", "数据来源"),
}
# fmt: on
# fmt: off
HISTORY_ALIASES: dict[str, tuple[str, ...]] = {
    "status": ("status", "state", "状态", "处理状态", "工单状态", "投诉状态"),
    "owner": ("owner", "handler", "assignee", "处理人", "负责人", "跟进人", "经办人"),
    "resolution": ("resolution", "解决方案", "处理方式", "处理结果", "解决方式"),
    "amount": ("compensation", "compensation_amount", "amount", "补偿金额", "赔偿金额", "赔付金额"),
    "compensation_kind": ("compensation_kind", "补偿方式", "赔付方式", "赔偿方式"),
    "satisfied": ("satisfied", "是否满意", "满意"),
    "score": ("score", "satisfaction_score", "评分", "满意度评分"),
    "first_response_at": ("first_response_at", "first_response", "首次响应时间", "首响时间", "响应时间"),
    "resolved_at": ("resolved_at", "resolved", "解决时间", "办结时间", "处理完成时间"),
    "closed_at": ("closed_at", "closed", "结案时间", "关闭时间", "完结时间"),
}
# fmt: on
"""Columns that bring a complaint's history across (`kefu import` of last month's closed
cases): replayed through the lifecycle's one door at the times given (`_replay`)."""
HISTORY = "history:"
"""How a history column is marked among the intake columns' targets."""
HISTORY_TIMES = ("first_response_at", "resolved_at", "closed_at")
IMPORTABLE_STATES = ("new", "triaged", "in_progress", "resolved", "closed")
REQUIRED_COLUMNS = ("channel", "description", "received_at")
TIME_FIELDS = ("received_at", "incident_at", "delivered_on", "returned_on")
"""Read as instants (a day alone is its start); the two dates keep the local day."""
_IGNORED = "-"
"""Mapped name of a column that is read past on purpose (the errors file's own columns)."""


_DECORATION = re.compile(r"[*＊]+|[（(][^）)]*[）)]")
"""What sheets add to a column's name: a required mark (客户姓名*), a note (联系电话（手机）)."""


def _norm(name: str) -> str:
    bare = _DECORATION.sub("", name.replace("\ufeff", "")).strip() or name
    return re.sub(r"[\s\-_]+", "_", bare.casefold()).strip("_")


_ALIAS_INDEX: dict[str, str] = {
    _norm(alias): name for name, aliases in COLUMN_ALIASES.items() for alias in aliases
}
_ALIAS_INDEX.update({_norm(c): _IGNORED for c in ERROR_COLUMNS})
_ALIAS_INDEX.update(
    {_norm(alias): HISTORY + name for name, aliases in HISTORY_ALIASES.items() for alias in aliases}
)
ROW_NUMBER_COLUMNS = ("序号", "行号", "No.", "#")
"""A register's running row number: read past (it numbers the sheet's lines, not complaints)."""
_ALIAS_INDEX.update({_norm(c): _IGNORED for c in ROW_NUMBER_COLUMNS if _norm(c) not in _ALIAS_INDEX})
assert set(COLUMN_ALIASES) == set(INTAKE_FIELDS)


def column_for(header: str) -> str | None:
    """The intake field a column header names (English or Chinese), or None if unknown."""
    found = _ALIAS_INDEX.get(_norm(header))
    return None if found == _IGNORED else found


def columns_help() -> str:
    """The accepted column names, one field a line, for `kefu import --help` and the README."""
    return "\n".join(
        f"{name}: {' / '.join(aliases[1:] or aliases)}"
        for name, aliases in (*COLUMN_ALIASES.items(), *HISTORY_ALIASES.items())
    )


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One rejected row: where it is, which column (as written in the file, or `ROW`, or
    `column N` with `label` saying so in either language), and why (in either language)."""

    line: int
    field: str
    why: Text
    label: Message | None = None
    """How `field` reads when it is not a column name from the file (`column 5`)."""

    @property
    def reason(self) -> str:
        return render(self.why, "en")

    def field_text(self, lang: str) -> str:
        """The column as a person reads it: its name as written, or what it stands for."""
        if self.label is not None:
            return self.label.text(lang)
        return Message("import.whole_row").text(lang) if self.field == ROW else self.field

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        key = self.why.key if isinstance(self.why, Message) else None
        return {"line": self.line, "field": self.field, "reason": render(self.why, lang), "key": key}

    def text(self, lang: str) -> str:
        message = Message("import.row_error", line=self.line, field=self.field_text(lang), reason=self.why)
        return message.text(lang)

    def __str__(self) -> str:
        return self.text("en")


@dataclass
class ImportReport:
    """What an import did; `exit_code` follows the CLI contract (0 all stored or present, 2 not)."""

    file: str
    format: str
    encoding: str | None
    source: str
    dry_run: bool
    rows: int = 0
    imported: int = 0
    already_present: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_file: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    other_sheets: list[str] = field(default_factory=list)
    stopped: Message | None = None
    """A problem that ended the import early (rows before it were kept)."""
    store_failed: bool = False
    """The database refused a batch (a full disk, a damaged file): a failure, not bad input."""
    header_line: int | None = None
    """The line (sheet row) the header was taken from."""
    skipped_above: int = 0
    """Title rows above the header that were skipped."""
    delimiter: str | None = None
    """The cell separator a CSV was read with."""
    changed: list[ChangedRow] = field(default_factory=list)
    """Rows already present whose content changed since (the first `MAX_ERRORS_KEPT`)."""
    changed_count: int = 0
    updated: int = 0
    """Changed rows applied as corrections (`--update`)."""
    totals_skipped: int = 0
    """A register's total lines (合计 …) read past."""

    def note_changed(self, rows: list[ChangedRow]) -> None:
        self.changed_count += len(rows)
        self.changed += rows[: max(0, MAX_ERRORS_KEPT - len(self.changed))]

    @property
    def exit_code(self) -> int:
        if self.store_failed:
            return 3
        return 0 if self.rejected == 0 and self.stopped is None else 2

    def reject(self, error: RowError) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)

    def summary(self, lang: str = "en") -> str:
        """One line for people and cron mail, in `lang`."""
        counts = Message(
            "import.summary_dry" if self.dry_run else "import.summary",
            file=Path(self.file).name,
            rows=self.rows,
            imported=self.imported,
            present=self.already_present,
            rejected=self.rejected,
        )
        text = counts.text(lang)
        if self.skipped_above:
            text += Message("import.summary_header", line=self.header_line, skipped=self.skipped_above).text(
                lang
            )
        if self.totals_skipped:
            text += Message("import.summary_totals", count=self.totals_skipped).text(lang)
        if self.delimiter and self.delimiter != ",":
            text += Message("import.summary_delimiter", delimiter=_DELIMITER_NAMES[self.delimiter]).text(lang)
        if self.changed_count:
            fields = sorted({f for row in self.changed for f in row.fields})
            key = "import.summary_updated" if self.updated else "import.summary_changed"
            said = Message(key, count=self.changed_count, fields=fields, updated=self.updated)
            text += said.text(lang)
        if self.rejected and self.errors_file:
            text += Message("import.summary_written", path=self.errors_file).text(lang)
        if self.stopped:
            text += Message("import.summary_stopped", reason=self.stopped).text(lang)
        return text

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        """The report as JSON, its reasons in `lang` (with their catalog keys beside them)."""
        return {
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "source": self.source,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "imported": self.imported,
            "already_present": self.already_present,
            "rejected": self.rejected,
            "errors": [e.as_dict(lang) for e in self.errors],
            "errors_omitted": self.rejected - len(self.errors),
            "errors_file": self.errors_file,
            "ignored_columns": self.ignored_columns,
            "other_sheets": self.other_sheets,
            "header_line": self.header_line,
            "title_rows_skipped": self.skipped_above,
            "total_rows_skipped": self.totals_skipped,
            "delimiter": self.delimiter,
            "changed": [
                {
                    "line": c.line,
                    "code": c.code,
                    "external_id": c.external_id,
                    "fields": {name: list(pair) for name, pair in c.fields.items()},
                }
                for c in self.changed
            ],
            "changed_count": self.changed_count,
            "updated": self.updated,
            "stopped": render(self.stopped, lang) or None,
            "stopped_key": self.stopped.key if self.stopped is not None else None,
            "exit_code": self.exit_code,
        }


@dataclass(frozen=True)
class ImportOptions:
    """What `kefu import` was asked to do."""

    path: Path
    format: str | None = None
    source: str | None = None
    encoding: str | None = None
    timezone: str | None = None
    dry_run: bool = False
    ignore_unknown: bool = False
    errors_path: Path | None = None
    batch_size: int = BATCH_SIZE
    lang: str = "en"
    """The language of the errors file's reasons (`error_reason`, the column a person reads)."""
    date_only: DateOnly = DateOnly.REFUSE
    """How a received_at with no time of day is read (`--date-only`); by default it is refused."""
    update: bool = False
    """Apply rows already present whose contact or goods dates changed, as corrections."""


Progress = Callable[[int, int | None], None]
"""Called after each batch with (lines read, lines in the file if known)."""


# -- reading files ---------------------------------------------------------------------------


class _Fatal(Exception):
    """A problem that ends reading the file at `line` (rows before it are kept)."""

    def __init__(self, line: int, message: Message) -> None:
        super().__init__(str(message))
        self.line = line
        self.message = message


@dataclass
class _RawRow:
    """One data row as read: its line and its (column, value) cells in file order."""

    line: int
    cells: list[tuple[str, Any]]
    problem: RowError | None = None


class _Reader:
    """A file opened for import: the header (None for JSON Lines) and its rows, lazily."""

    header: list[str] | None = None
    encoding: str | None = None
    total_lines: int | None = None
    lines_read: int = 0
    other_sheets: list[str]

    def __init__(self) -> None:
        self.other_sheets = []
        self.header_line: int | None = None
        """The line (row) the header was found on."""
        self.skipped_above = 0
        """Non-empty rows above the header (a sheet's title) that were skipped."""
        self._pending: list[tuple[int, tuple[Any, ...]]] = []

    def rows(self) -> Iterator[_RawRow]:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        pass


def _utf16_hint(head: bytes) -> Message | str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Message("import.utf16_hint")
    return ""


def _scan_text(path: Path, encoding: str) -> tuple[int, int | None]:
    """Decode the whole file strictly in chunks: (line count, None) or (0, line of the bad byte)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return 0, lines + chunk[: max(exc.start, 0)].count(b"\n") + 1
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return 0, lines + 1
    return lines + (1 if last and last != b"\n" else 0), None


def _choose_encoding(path: Path, forced: str | None) -> tuple[str, int]:
    """The encoding to read a text file with, and its line count; refuse a guess that fails."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK\x03\x04"):
        raise InvalidInput(Message("import.zip_not_csv", path=str(path)), field="format")
    if forced:
        try:
            name = codecs.lookup(forced).name
        except LookupError:
            raise InvalidInput(
                Message("import.unknown_encoding", encoding=forced), field="encoding"
            ) from None
        name = "utf-8-sig" if name == "utf-8" else name
        lines, bad = _scan_text(path, name)
        if bad is not None:
            message = Message("import.not_in_encoding", path=str(path), line=bad, encoding=forced)
            raise InvalidInput(message, field="encoding")
        return name, lines
    lines, bad_utf8 = _scan_text(path, "utf-8-sig")
    if bad_utf8 is None:
        return "utf-8-sig", lines
    lines, bad_gb = _scan_text(path, "gb18030")
    if bad_gb is None:
        return "gb18030", lines
    message = Message(
        "import.unknown_text_encoding",
        path=str(path),
        utf8_line=bad_utf8,
        gb_line=bad_gb,
        hint=_utf16_hint(head),
    )
    raise InvalidInput(message, field="encoding")


@contextmanager
def _csv_field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit()
    csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


_DELIMITER_NAMES = {"\t": "tabs", ";": "semicolons", "|": "bars", ",": "commas"}

HEADER_SEARCH_ROWS = 20
"""How far down a sheet the header row is looked for (title rows above it are skipped)."""
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",\t;|"


def _header_score(cells: list[str]) -> int:
    """How many cells name a column kefu knows."""
    return sum(1 for cell in cells if cell and column_for(cell) is not None)


def _find_header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str], int] | None:
    """The header among the first non-empty rows: the first naming at least two known columns
    (a title row above it — 2026年11月客户投诉登记表 — names none), else the first non-empty row
    as before. Returns (its line, its cells, how many non-empty rows above it were skipped)."""
    first: tuple[int, list[str]] | None = None
    seen = 0
    for line, cells in rows:
        if not any(cells):
            continue
        if first is None:
            first = (line, cells)
        if _header_score(cells) >= 2:
            return line, cells, seen
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    return None if first is None else (first[0], first[1], 0)


def _sniff_delimiter(handle: IO[str]) -> str:
    """The cell separator (comma, tab, semicolon or bar) by the csv module's Sniffer, over the
    lines below any title: a comma when it cannot tell."""
    sample = handle.read(SNIFF_BYTES)
    handle.seek(0)
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    body = "\n".join(line for line in lines if any(d in line for d in DELIMITERS))
    try:
        return csv.Sniffer().sniff(body or sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


class _CsvReader(_Reader):
    def __init__(self, path: Path, encoding: str | None) -> None:
        super().__init__()
        self.encoding, self.total_lines = _choose_encoding(path, encoding)
        self.path = path
        self.handle: IO[str] = path.open(encoding=self.encoding, newline="")
        self.delimiter = _sniff_delimiter(self.handle)
        self.reader = csv.reader(self.handle, delimiter=self.delimiter)
        try:
            self.header = self._read_header()
        except BaseException:
            self.handle.close()
            raise

    def _lines(self) -> Iterator[tuple[int, list[str]]]:
        for row in self.reader:
            yield self.reader.line_num, [cell.strip() for cell in row]

    def _read_header(self) -> list[str]:
        try:
            found = _find_header(self._lines())
            if found is not None:
                self.header_line, header, self.skipped_above = found
                if self.reader.line_num != self.header_line:  # read on from the line after it
                    self.handle.seek(0)
                    self.reader = csv.reader(self.handle, delimiter=self.delimiter)
                    for _ in self.reader:
                        if self.reader.line_num >= self.header_line:
                            break
                self.lines_read = self.reader.line_num
                return header
        except csv.Error as exc:
            message = Message(
                "import.csv_header_error", path=str(self.path), line=self.reader.line_num, error=str(exc)
            )
            raise InvalidInput(message) from None
        raise InvalidInput(Message("import.empty_file", path=str(self.path)))

    def rows(self) -> Iterator[_RawRow]:
        assert self.header is not None
        width = len(self.header)
        while True:
            start = self.reader.line_num + 1
            try:
                row = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _Fatal(start, Message("import.csv_broken", line=start, error=str(exc))) from None
            self.lines_read = self.reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            problem = None
            if len(row) < width:
                problem = RowError(start, ROW, Message("import.too_few_cells", cells=len(row), width=width))
            elif len(row) > width and any(cell.strip() for cell in row[width:]):
                extra = ", ".join(repr(c) for c in row[width:] if c.strip())
                why = Message("import.too_many_cells", cells=len(row), width=width, extra=extra[:200])
                problem = RowError(start, ROW, why)
            yield _RawRow(start, list(zip(self.header, row, strict=False)), problem)

    def close(self) -> None:
        self.handle.close()


class _JsonlReader(_Reader):
    def __init__(self, path: Path, encoding: str | None) -> None:
        super().__init__()
        self.encoding, self.total_lines = _choose_encoding(path, encoding)
        self.handle: IO[str] = path.open(encoding=self.encoding)

    def rows(self) -> Iterator[_RawRow]:
        number = 0
        while True:
            text = self.handle.readline(MAX_CELL_CHARS + 1)
            if not text:
                return
            number += 1
            self.lines_read = number
            if len(text) > MAX_CELL_CHARS and not text.endswith("\n"):
                while (rest := self.handle.readline(MAX_CELL_CHARS)) and not rest.endswith("\n"):
                    pass
                yield _RawRow(
                    number,
                    [],
                    RowError(number, ROW, Message("import.line_too_long", limit=MAX_CELL_CHARS)),
                )
                continue
            text = text.strip()
            if not text:
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                why = Message("import.not_json", error=exc.msg, column=exc.colno)
                yield _RawRow(number, [], RowError(number, ROW, why))
                continue
            except (RecursionError, ValueError) as exc:  # nested too deep; a number too long
                why = Message(
                    "import.json_too_deep" if isinstance(exc, RecursionError) else "import.json_number"
                )
                yield _RawRow(number, [], RowError(number, ROW, why))
                continue
            if not isinstance(value, dict):
                why = Message("import.not_json_object", kind=type(value).__name__)
                yield _RawRow(number, [], RowError(number, ROW, why))
                continue
            try:  # "\ud800" decodes to half a character, which no text can hold
                json.dumps(value, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                yield _RawRow(number, [], RowError(number, ROW, Message("import.json_half_character")))
                continue
            yield _RawRow(number, list(value.items()))

    def close(self) -> None:
        self.handle.close()


class _XlsxReader(_Reader):
    def __init__(self, path: Path) -> None:
        super().__init__()
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        if not openpyxl.DEFUSEDXML:
            raise InvalidInput(Message("import.needs_defusedxml"))
        self.path = path
        try:
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
                strings = sum(
                    i.file_size for i in archive.infolist() if i.filename.endswith("sharedStrings.xml")
                )
        except (zipfile.BadZipFile, OSError):
            raise InvalidInput(Message("import.not_xlsx", path=str(path))) from None
        if strings > MAX_SHARED_STRINGS_BYTES:
            limit = MAX_SHARED_STRINGS_BYTES / 2**20
            raise InvalidInput(
                Message("import.xlsx_strings_too_big", path=str(path), size=strings / 2**20, limit=limit)
            )
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            message = Message(
                "import.xlsx_too_big",
                path=str(path),
                size=unpacked / 2**20,
                limit=MAX_XLSX_UNPACKED_BYTES / 2**20,
            )
            raise InvalidInput(message)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                self.workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            cause = exc.__cause__ or exc.__context__
            if cause is not None:
                reason += f" ({type(cause).__name__}: {cause})"
            raise InvalidInput(Message("import.xlsx_unreadable", path=str(path), reason=reason)) from None
        if not self.workbook.worksheets:
            self.workbook.close()
            raise InvalidInput(Message("import.xlsx_no_sheet", path=str(path)))
        self.sheet = self.workbook.worksheets[0]
        self.other_sheets = [ws.title for ws in self.workbook.worksheets[1:]]
        with suppress(Exception):
            self.total_lines = self.sheet.max_row
        # The stored dimension can be wrong; read every row there is rather than trust it.
        self.sheet.reset_dimensions()
        self._iter = enumerate(self.sheet.iter_rows(min_row=1, values_only=True), start=1)
        try:
            self.header = self._read_header()
        except BaseException:
            self.workbook.close()
            raise

    def _next(self) -> tuple[int, tuple[Any, ...]] | None:
        try:
            return next(self._iter)
        except StopIteration:
            return None
        except Exception as exc:  # a damaged sheet part: stop, keeping what was read
            number = self.lines_read + 1
            raise _Fatal(number, Message("import.xlsx_damaged", row=number, error=str(exc))) from None

    def _read_header(self) -> list[str]:
        try:
            return self._first_row()
        except _Fatal as exc:
            raise InvalidInput(Message("import.in_file", path=str(self.path), reason=exc.message)) from None

    def _first_row(self) -> list[str]:
        seen: list[tuple[int, tuple[Any, ...]]] = []

        def lines() -> Iterator[tuple[int, list[str]]]:
            empty = 0
            while (item := self._next()) is not None and empty < MAX_EMPTY_RUN:
                number, row = item
                self.lines_read = number
                cells = ["" if v is None else str(v).strip() for v in row]
                while cells and not cells[-1]:
                    cells.pop()
                empty = 0 if cells else empty + 1
                seen.append(item)
                yield number, cells

        found = _find_header(lines())
        if found is None:
            raise InvalidInput(Message("import.xlsx_empty", path=str(self.path)))
        self.header_line, header, self.skipped_above = found
        # Rows read past the header while looking for it are data: given back to `rows`.
        self._pending = [item for item in seen if item[0] > self.header_line]
        return header

    def _again(self) -> tuple[int, tuple[Any, ...]] | None:
        """The rows read while looking for the header, then the sheet's next ones."""
        if self._pending:
            return self._pending.pop(0)
        return self._next()

    def rows(self) -> Iterator[_RawRow]:
        assert self.header is not None
        width = len(self.header)
        empty = 0
        while (item := self._again()) is not None:
            number, row = item
            self.lines_read = number
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                empty += 1
                if empty >= MAX_EMPTY_RUN:  # the data ended long ago: the rest is padding
                    return
                continue
            empty = 0
            problem = None
            beyond = [v for v in row[width:] if v is not None and str(v).strip()]
            if beyond:
                first = beyond[0] if isinstance(beyond[0], str | int | float) else str(beyond[0])
                problem = RowError(
                    number, ROW, Message("import.beyond_header", count=len(beyond), first=first)
                )
            yield _RawRow(number, list(zip(self.header, row[:width], strict=False)), problem)

    def close(self) -> None:
        self.workbook.close()


def detect_format(path: Path, given: str | None) -> str:
    """The format named, or the one the file's suffix says."""
    if given:
        fmt = given.strip().casefold()
        if fmt not in FORMATS:
            raise InvalidInput(
                Message("import.bad_format", formats=list(FORMATS), given=given), field="format"
            )
        return fmt
    suffix = path.suffix.casefold()
    if suffix == ".xls":
        raise InvalidInput(Message("import.xls", path=str(path)), field="format")
    if suffix not in SUFFIX_FORMATS:
        if suffix:
            message = Message("import.unknown_suffix", path=str(path), suffix=suffix, formats=list(FORMATS))
        else:
            message = Message("import.no_suffix", path=str(path), formats=list(FORMATS))
        raise InvalidInput(message, field="format")
    return SUFFIX_FORMATS[suffix]


def _open(path: Path, fmt: str, encoding: str | None) -> _Reader:
    if not path.is_file():
        raise InvalidInput(Message("file.missing", path=str(path)), field="path")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        message = Message(
            "import.file_too_big", path=str(path), size=size / 2**20, limit=MAX_FILE_BYTES / 2**20
        )
        raise InvalidInput(message)
    if fmt == "xlsx":
        if encoding:
            raise InvalidInput(Message("import.encoding_for_text"), field="encoding")
        return _XlsxReader(path)
    if fmt == "jsonl":
        return _JsonlReader(path, encoding)
    return _CsvReader(path, encoding)


# -- turning a row into an intake ------------------------------------------------------------


class _Reject(Exception):
    """A row refused: the column (as written) and why; `label` as in `RowError`."""

    def __init__(self, field: str, reason: Message, label: Message | None = None) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason
        self.label = label


def _cell_text(value: Any, column: str) -> str | None:
    """A cell as text, or None when empty; numbers lose a spurious `.0` (Excel, JSON)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    raise _Reject(column, Message("import.not_plain_value", kind=type(value).__name__))


def _as_written(value: Any) -> str:
    """A cell as it appears in the file, for the errors file."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return _cell_text(value, "") or ""


def parse_time(value: Any, zone: ZoneInfo, column: str, date_only: DateOnly = DateOnly.START,
               business_hours: list[str] | None = None) -> datetime:  # fmt: skip
    """A cell as an aware UTC instant, read by the one time parser (`kefu.core.when`); a day
    alone as `date_only` says."""
    try:
        return parse_instant(value, zone, date_only=date_only, business_hours=business_hours)
    except WhenError as exc:
        raise _Reject(column, exc.msg) from None


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


@dataclass(slots=True)
class _Ready:
    """A row that passed every check, ready to store."""

    line: int
    intake: Intake
    key: tuple[str, str]
    history: dict[str, Any] | None = None
    """What became of it before the import (`_history`), replayed once it is stored."""


_STATUS_WORDS = {
    "结案": "closed", "已关闭": "closed", "关闭": "closed", "已完结": "closed", "完结": "closed",
    "已办结": "closed", "办结": "closed", "已处理": "resolved", "已解决": "resolved", "解决": "resolved",
    "跟进中": "in_progress", "待处理": "new", "新建": "new",
}  # fmt: skip
"""Status words of other systems' exports, beside kefu's own labels."""


def _status_code(text: str) -> str | None:
    wanted = fold(text)
    for status, labels in STATUS_LABELS.items():
        if wanted in (fold(status.value), *(fold(label) for label in labels)):
            return status.value
    return _STATUS_WORDS.get(wanted)


def _history(
    profile: Any, intake: Intake, given: dict[str, tuple[str, Any]], now: datetime, header: dict[str, str]
) -> dict[str, Any] | None:
    """A row's history columns, checked: a status kefu can bring across, what that status needs
    (an owner, a resolution, the customer's answer, its times) and times in their order."""
    values = {name: value for name, (_, value) in given.items()}
    column = {t.removeprefix(HISTORY): c for t, c in header.items() if t.startswith(HISTORY)}
    column.update({name: col for name, (col, _) in given.items()})

    def refuse(name: str, message: Message) -> _Reject:
        return _Reject(column.get(name, name), message)

    status = _status_code(str(values.get("status") or "new"))
    if status is None or status not in IMPORTABLE_STATES:
        states = list(IMPORTABLE_STATES)
        raise refuse(
            "status", Message("import.history_status", given=str(values.get("status")), states=states)
        )
    rank = IMPORTABLE_STATES.index(status)
    history: dict[str, Any] = {"status": status}
    if rank >= 2:  # in progress, or further: someone owned it
        owner = str(values.get("owner") or "").strip()
        if not owner:
            raise refuse("owner", Message("import.history_needs", field="owner", status=status))
        history["owner"] = owner
        missing = [f for f in ("category", "party", "department") if getattr(intake, f) is None]
        if missing:
            raise refuse("status", Message("import.history_needs", field=missing[0], status=status))
    if rank >= 3:
        code = profile.resolve("resolutions", str(values.get("resolution") or ""))
        if code is None:
            raise refuse("resolution", Message("import.history_needs", field="resolution", status=status))
        history["resolution"] = code
        if values.get("amount") not in (None, ""):
            history["amount"] = values["amount"]
        if values.get("compensation_kind"):
            history["compensation_kind"] = values["compensation_kind"]
    if rank >= 4:
        if values.get("satisfied") in (None, ""):
            raise refuse("satisfied", Message("import.history_needs", field="satisfied", status=status))
        try:
            pleased = yes_no(values["satisfied"], "satisfied")
        except InvalidInput as exc:
            raise refuse("satisfied", exc.msg) from None
        if not pleased:  # kefu reopens a case the customer was not satisfied with
            raise refuse("satisfied", Message("import.history_unsatisfied"))
        history["satisfied"] = values["satisfied"]
        if values.get("score") not in (None, ""):
            history["score"] = values["score"]
    times = [("received_at", intake.received_at)]
    for name in HISTORY_TIMES:
        if name in values:
            times.append((name, values[name]))
            history[name] = values[name]
    needed = {3: "resolved_at", 4: "closed_at"}
    for at_rank, name in needed.items():
        if rank >= at_rank and name not in history and not (name == "resolved_at" and "closed_at" in history):
            raise refuse(name, Message("import.history_needs", field=name, status=status))
    for (earlier, first), (later, second) in zip(times, times[1:], strict=False):
        if second < first:
            raise refuse(later, Message("import.history_order", later=later, earlier=earlier))
    for name, at in times[1:]:
        if at > now:
            raise refuse(name, Message("import.history_future", field=name))
    history["columns"] = column  # for a refusal at replay: the sheet's column, not kefu's field
    return history if rank > 0 else None


class _RowChecker:
    """Maps a raw row's columns to intake fields and checks it with the typed-in rules."""

    def __init__(
        self,
        *,
        revisions: Revisions,
        zone: ZoneInfo,
        now: datetime,
        default_source: str,
        forced_source: str | None,
        ignore_unknown: bool,
        header: list[str] | None,
        path: Path,
        guessed_encoding: str | None = None,
        date_only: DateOnly = DateOnly.REFUSE,
        business_hours: list[str] | None = None,
    ) -> None:
        self.revisions = revisions
        self.zone = zone
        self.date_only = date_only
        self.business_hours = business_hours
        self.now = now
        self.default_source = default_source
        self.forced_source = forced_source
        self.ignore_unknown = ignore_unknown
        self.ignored: dict[str, None] = {}
        self.positional: list[str | None] | None = None
        self.mapped: list[tuple[int, str, str]] = []
        self.headless: list[int] = []
        self.header_columns: dict[str, str] = {}
        if header is not None:
            self.positional = self._map_header(header, path, guessed_encoding)
            for index, (column, target) in enumerate(zip(header, self.positional, strict=True)):
                if target is not None:
                    self.mapped.append((index, target, column))
                    self.header_columns[target] = column
                elif not column:
                    self.headless.append(index)

    def _map_header(self, header: list[str], path: Path, guessed_encoding: str | None) -> list[str | None]:
        mapped: list[str | None] = []
        where: dict[str, str] = {}
        for name in header:
            if not name:
                mapped.append(None)
                continue
            target = _ALIAS_INDEX.get(_norm(name))
            if target is None:
                if not self.ignore_unknown:
                    hint: Message | str = (
                        Message("import.gb18030_hint") if guessed_encoding == "gb18030" else ""
                    )
                    message = Message("import.unknown_column", path=str(path), name=name, hint=hint)
                    raise InvalidInput(message, field=name)
                self.ignored[name] = None
                mapped.append(None)
                continue
            if target == _IGNORED:
                mapped.append(None)
                continue
            if target in where:
                message = Message(
                    "import.duplicate_column", path=str(path), first=where[target], second=name, field=target
                )
                raise InvalidInput(message, field=name)
            where[target] = name
            mapped.append(target)
        missing = [f for f in REQUIRED_COLUMNS if f not in where]
        if missing:
            wanted = [
                Message("import.missing_column", field=f, aliases=" / ".join(COLUMN_ALIASES[f][:4]))
                for f in missing
            ]
            listed = wanted[-1]
            for earlier in reversed(wanted[:-1]):  # "a; b; c" in English, "a；b；c" in Chinese
                listed = Message("import.and_more", first=earlier, rest=listed)
            message = Message("import.missing_columns", path=str(path), wanted=listed)
            raise InvalidInput(message, field=missing[0])
        return mapped

    def _fields(self, raw: _RawRow) -> tuple[dict[str, Any], dict[str, str]]:
        """Intake fields by name and the column each came from."""
        if self.positional is not None:
            return self._positional_fields(raw.cells), self.header_columns
        fields: dict[str, Any] = {}
        columns: dict[str, str] = {}
        for column, value in raw.cells:
            found = _ALIAS_INDEX.get(_norm(column))
            if found == _IGNORED:
                continue
            if found is None:
                if self.ignore_unknown:
                    self.ignored[column] = None
                    continue
                raise _Reject(column, Message("import.unknown_field"))
            if found in columns:
                raise _Reject(
                    column, Message("import.same_field", first=columns[found], second=column, field=found)
                )
            columns[found] = column
            self._put(fields, found, column, value)
        return fields, columns

    def _positional_fields(self, cells: list[tuple[str, Any]]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        width = len(cells)
        for index in self.headless:
            if index < width and _cell_text(cells[index][1], "") is not None:
                label = Message("import.column_n", n=index + 1)
                raise _Reject(f"column {index + 1}", Message("import.headless_value"), label)
        for index, target, column in self.mapped:
            if index < width:
                self._put(fields, target, column, cells[index][1])
        return fields

    def _put(self, fields: dict[str, Any], target: str, column: str, value: Any) -> None:
        if target.startswith(HISTORY):
            name = target.removeprefix(HISTORY)
            if _cell_text(value, column) is not None:
                if name in HISTORY_TIMES:
                    value = parse_time(value, self.zone, column, DateOnly.REFUSE, self.business_hours)
                fields.setdefault(HISTORY, {})[name] = (column, value)
            return
        if target in TIME_FIELDS:
            if _cell_text(value, column) is not None:
                rule = self.date_only if target == "received_at" else DateOnly.START
                fields[target] = parse_time(value, self.zone, column, rule, self.business_hours)
        else:
            text = _cell_text(value, column)
            if text is not None:
                fields[target] = text

    def check(self, raw: _RawRow) -> _Ready | RowError:
        if raw.problem is not None:
            return raw.problem
        columns: dict[str, str] = {}
        try:
            fields, columns = self._fields(raw)
            if "received_at" not in fields:
                where = columns.get("received_at", "received_at")
                raise _Reject(where, Message("import.received_at_required", field="received_at"))
            source = self.forced_source or fields.pop("source", None) or self.default_source
            fields["source"] = source
            # A row is checked against the revision in force when it was received.
            _version, profile = self.revisions.at(fields["received_at"])
            given_history = fields.pop(HISTORY, None)
            intake = validate_intake(profile, fields, self.now)
            if intake.external_id is None:
                intake = _with_content_id(intake)
            history = (
                _history(profile, intake, given_history, self.now, self.header_columns)
                if given_history
                else None
            )
            if history is not None:
                history["cells"] = [(name, _as_written(value)) for name, value in raw.cells]
        except _Reject as exc:
            return RowError(raw.line, exc.field, exc.reason, exc.label)
        except InvalidInput as exc:
            named = exc.field if exc.field in INTAKE_FIELDS else None
            where = columns.get(named, named) if named else ROW
            return RowError(raw.line, where or ROW, exc.msg)
        assert intake.source is not None and intake.external_id is not None
        return _Ready(raw.line, intake, (intake.source, intake.external_id), history)


def content_id(intake: Intake) -> str:
    """The stable id of a row that has none: a hash of its validated content."""
    content = {
        name: jsonable(getattr(intake, name))
        for name in INTAKE_ATTRIBUTES
        if name not in ("source", "external_id") and getattr(intake, name) is not None
    }
    digest = hashlib.sha256(
        json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()
    return f"auto-{digest[:32]}"


def _with_content_id(intake: Intake) -> Intake:
    from dataclasses import replace

    return replace(intake, external_id=content_id(intake))


# -- the errors file -------------------------------------------------------------------------


class _ErrorSink:
    """Rejected rows as they were written, spooled to disk and written out at the end."""

    def __init__(self, path: Path | None, header: list[str] | None, lang: str = "en") -> None:
        self.path = path
        self.lang = lang
        self.header = header
        self.columns: dict[str, None] = dict.fromkeys(header or [])
        self.spool: IO[str] | None = None
        self.out: WholeFile | None = None
        if path is not None:
            jsonl = path.suffix.casefold() in (".jsonl", ".ndjson")
            try:  # find out now, not after the import, that it cannot be written; whole or nothing
                self.out = WholeFile(path, encoding="utf-8" if jsonl else "utf-8-sig")
            except OSError as exc:
                message = Message("import.errors_unwritable", path=str(path), error=os_reason(exc))
                raise InvalidInput(message, field="errors_path") from None
            self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.has_source_column = any(column_for(c) == "source" for c in header or [])

    def add(self, row: list[tuple[str, Any]], error: RowError, source: str) -> None:
        if self.spool is None:
            return
        cells = [(name, _as_written(value)) for name, value in row]
        if self.header is None:
            for name, _ in cells:
                self.columns.setdefault(name, None)
                if column_for(name) == "source":
                    self.has_source_column = True
        reason = render(error.why, self.lang)  # a rejected row only: good rows render nothing
        record = [error.line, error.field_text(self.lang), reason, source, cells]
        self.spool.write(json.dumps(record, ensure_ascii=False) + "\n")

    def write(self) -> None:
        """The errors file, whole (or, when the disk fails, none: one sentence naming it)."""
        if self.spool is None or self.path is None or self.out is None:
            return
        try:
            self._write(self.spool, self.out.stream)
            self.out.commit()
        except OSError as exc:
            self.out.discard()
            raise CannotWrite(
                Message("import.errors_unwritable", path=str(self.path), error=os_reason(exc)),
                field="errors_path",
            ) from None
        finally:
            self.spool.close()

    def _write(self, spool: IO[str], out: IO[str]) -> None:
        assert self.path is not None
        columns = list(self.columns)
        add_source = not self.has_source_column
        names = columns + (["source"] if add_source else []) + list(ERROR_COLUMNS)
        spool.seek(0)
        jsonl = self.path.suffix.casefold() in (".jsonl", ".ndjson")
        writer = None if jsonl else csv.writer(out)
        if writer is not None:
            writer.writerow([safe_cell(name) for name in names])
        for text in spool:
            line, field_name, reason, source, cells = json.loads(text)
            if self.header is not None:
                values = [value for _, value in cells][: len(columns)]
                values += [""] * (len(columns) - len(values))
            else:
                by_name = dict(cells)
                values = [by_name.get(name, "") for name in columns]
            values += [source] if add_source else []
            values += [str(line), field_name, reason]
            if writer is not None:
                writer.writerow([safe_cell(v) for v in values])  # opened in a spreadsheet: never a formula
            else:
                record = {k: v for k, v in zip(names, values, strict=True) if v != ""}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


# -- storing a batch -------------------------------------------------------------------------


_SET_ON_INTAKE = (*PLAN_COLUMNS, "code", "repeat_of", "customer_id")
"""Columns a new case gets besides the intake fields: the plan's, and what the store adds."""


@functools.cache
def _case_template_cached() -> tuple[tuple[str, Any], ...]:
    return tuple(_build_case_template().items())


def _case_template() -> dict[str, Any]:
    """The columns a new case row is inserted with, and their defaults (see below)."""
    return dict(_case_template_cached())


def _build_case_template() -> dict[str, Any]:
    """The columns a new case row is inserted with, holding the defaults a new Case object has.

    Columns a new case leaves empty (owner, resolution, closed_at, ...) are left out of the
    INSERT, so they are NULL as for a typed-in case and cost no bound parameter per row."""
    template: dict[str, Any] = {}
    for column in _table("cases").columns:
        if column.name == "id":
            continue
        info = Case.model_fields.get(column.name)
        default = None if info is None or info.default is PydanticUndefined else info.default
        if default is None and column.default is not None:
            if not column.default.is_scalar:
                raise RuntimeError(f"cases.{column.name} has a computed default the import lacks")
            default = column.default.arg  # type: ignore[attr-defined]
        wanted = column.name in _SET_ON_INTAKE or column.name in INTAKE_ATTRIBUTES
        if default is not None or wanted:
            template[column.name] = default
    return template


class _BulkInsert:
    """An INSERT compiled once, its rows made ready here, run with the connection's executemany.

    Each value goes through its column type's own bind processor (the conversion SQLAlchemy
    applies: aware datetimes to stored UTC, ...), but without SQLAlchemy rebuilding a parameter
    dictionary per row and per execution, which was a third of the time of a large import; and
    it can happen where the rows are prepared, beside the database work."""

    def __init__(self, dialect: Any, table: Table, keys: tuple[str, ...]) -> None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        self.sql = str(compiled)
        self.names = list(compiled.positiontup or keys) if dialect.positional else list(keys)
        missing = set(self.names) - set(keys)
        if missing:
            raise RuntimeError(f"{table.name}: the import sets no value for {sorted(missing)}")
        self.positional = dialect.positional
        self.position = {name: index for index, name in enumerate(self.names)}
        self.pick = operator.itemgetter(*self.names)
        self.processors = {
            index: processor
            for index, name in enumerate(self.names)
            if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        }
        self.done: dict[int, dict[Any, Any]] = {index: {} for index in self.processors}

    _compiled: dict[tuple[Any, ...], _BulkInsert] = {}

    @classmethod
    def cached(cls, dialect: Any, table: Table, keys: tuple[str, ...]) -> _BulkInsert:
        """The insert for these columns, compiled once per dialect in this process."""
        key = (type(dialect), dialect.paramstyle, table.name, keys)
        if key not in cls._compiled:
            cls._compiled[key] = cls(dialect, table, keys)
        return cls._compiled[key]

    def row(self, values: dict[str, Any]) -> list[Any]:
        """The row's values as the database takes them, in the statement's order."""
        ready = list(self.pick(values))
        for index, processor in self.processors.items():
            value = ready[index]
            if value is not None:
                done = self.done[index]  # most rows share `now`, for one
                if value not in done:
                    if len(done) > 4096:
                        done.clear()
                    done[value] = processor(value)
                ready[index] = done[value]
        return ready

    def set(self, ready: list[Any], name: str, value: Any) -> None:
        """Put one more value into a ready row."""
        index = self.position[name]
        processor = self.processors.get(index)
        ready[index] = processor(value) if processor is not None and value is not None else value

    def execute(self, conn: Connection, rows: list[list[Any]]) -> None:
        if not rows:
            return
        if self.positional:
            conn.exec_driver_sql(self.sql, [tuple(r) for r in rows])
        else:
            conn.exec_driver_sql(self.sql, [dict(zip(self.names, r, strict=True)) for r in rows])


def _case_insert(dialect: Any) -> _BulkInsert:
    return _BulkInsert.cached(dialect, _table("cases"), tuple(_case_template()))


def _event_insert(dialect: Any) -> _BulkInsert:
    return _BulkInsert.cached(dialect, _table("events"), EVENT_COLUMNS)


def _deadline_insert(dialect: Any) -> _BulkInsert:
    return _BulkInsert.cached(dialect, _table("deadlines"), DEADLINE_COLUMNS)


@dataclass(slots=True)
class _Earlier:
    """A case a new one may repeat: stored (`case_id`) or earlier in this batch (`index`)."""

    received_at: datetime
    order: int
    code: str
    case_id: int | None
    index: int | None


def _existing_keys(conn: Connection, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    cases = _table("cases")
    found: set[tuple[str, str]] = set()
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    for source, ids in by_source.items():
        rows = conn.execute(
            select(cases.c.external_id).where(cases.c.source == source, cases.c.external_id.in_(ids))
        )
        found.update((source, external_id) for (external_id,) in rows)
    return found


def _stored_candidates(
    conn: Connection, revisions: Revisions, rows: list[_Prepared]
) -> tuple[dict[str, list[_Earlier]], dict[str, list[_Earlier]]]:
    """Stored cases of the batch's phones and of its orders within the repeat window.

    One query per column: with `phone IN (...) OR order IN (...)` SQLite prefers a range scan
    of the received_at index, which reads the whole window and grows with the desk."""
    found: dict[str, dict[str, list[_Earlier]]] = {"customer_phone": {}, "order_no": {}}
    if not rows:
        return found["customer_phone"], found["order_no"]
    windows = [w for r in rows if (w := repeat_window(revisions.at(r.received_at)[1], r.received_at))]
    if not windows:
        return found["customer_phone"], found["order_no"]
    since, until = min(w[0] for w in windows), max(w[1] for w in windows)
    cases = _table("cases")
    for name, index in found.items():
        wanted = {r.phone if name == "customer_phone" else r.order_no for r in rows} - {None}
        if not wanted:
            continue
        column = cases.c[name]
        query = select(cases.c.id, cases.c.code, cases.c.received_at, column).where(
            column.in_(wanted), cases.c.received_at >= since, cases.c.received_at <= until
        )
        for case_id, code, received_at, value in conn.execute(query):
            index.setdefault(value, []).append(_Earlier(received_at, case_id, code, case_id, None))
    return found["customer_phone"], found["order_no"]


class _Prepared(NamedTuple):
    """A checked row's intake plan as rows ready for the database, made where the row is read:
    everything but the code, the repeat links and the ids. (A tuple: batches of these cross
    the pipe from the reading process, and tuples pickle fastest.)"""

    line: int
    key: tuple[str, str]
    received_at: datetime
    phone: str | None
    order_no: str | None
    who: Who
    day_key: str
    case: list[Any]
    """The case row as the database takes it (bound where the row is read)."""
    events: list[dict[str, Any]]
    """The create event, then the escalation (the repeat link goes between them), bound
    where they are stored: that splits the work between the two processes about evenly."""
    deadlines: list[list[Any]]
    """Its first deadline records, bound (the case id set when stored)."""
    history: dict[str, Any] | None = None
    """What became of it before the import: replayed through the door once stored (`_replay`)."""


class _Preparer:
    """Turns a checked row into its intake plan (`intake.plan_intake`, as for a case typed in)
    and the plan into rows for the bulk inserts."""

    def __init__(
        self,
        *,
        revisions: Revisions,
        dialect: Any,
        actor: str,
        now: datetime,
        origin: str,
    ) -> None:
        self.revisions = revisions
        self.actor = actor
        self.now = now
        self.origin = origin
        self.cases = _case_insert(dialect)
        self.events = _event_insert(dialect)
        self.deadlines = _deadline_insert(dialect)
        self.template = _case_template()

    def __call__(self, ready: _Ready) -> _Prepared:
        version, profile = self.revisions.at(ready.intake.received_at)  # in force at receipt
        assert version.id is not None
        plan = plan_intake(
            profile,
            ready.intake,
            version_id=version.id,
            actor=self.actor,
            # a row bringing its history is recorded when it was received, so its replayed
            # steps follow it in time; any other row when it was imported
            now=ready.intake.received_at if ready.history else self.now,
            note=Message("note.imported", file=self.origin, line=ready.line),
            into=dict(self.template),
        )
        intake = ready.intake
        return _Prepared(
            line=ready.line,
            key=ready.key,
            received_at=intake.received_at,
            phone=intake.customer_phone,
            order_no=intake.order_no,
            who=Who(intake.customer_phone, intake.customer_email, intake.customer_name),
            day_key=plan.day_key,
            case=self.cases.row(plan.values),
            events=plan.events(None),
            deadlines=[self.deadlines.row(d) for d in plan.deadlines],
            history=ready.history,
        )


COMPARED_COLUMNS = (
    "channel", "customer_name", "customer_phone", "customer_email", "order_no", "target", "target_name",
    "description", "incident_at", "incident_place", "delivered_on", "returned_on", "demand",
    "received_at", "category", "subcategory", "party", "department", "complexity",
)  # fmt: skip
"""What a re-imported row is compared on with the case stored from it (severity is not: the
policy's rules may have raised it; status and the rest are the desk's own work since)."""
CORRECTABLE = ("customer_name", "customer_phone", "customer_email", "order_no", "delivered_on", "returned_on")
"""What `--update` applies, through the correction path (`intake.correct_contact`,
`services.set_goods_days`); the other fields are reclassified or noted by people."""


@dataclass(frozen=True)
class ChangedRow:
    """A row already imported whose content differs from the case stored from it."""

    line: int
    code: str
    external_id: str
    fields: dict[str, tuple[Any, Any]]
    """Column → (stored, in the file), as the database holds them."""


def _changed_rows(conn: Connection, rows: list[_Prepared], insert: _BulkInsert) -> list[ChangedRow]:
    """The rows of a batch already stored whose compared columns differ from the stored case,
    both read as the database holds them (the row as bound for its insert, the case raw)."""
    wanted = {r.key: r for r in rows}
    by_source: dict[str, list[str]] = {}
    for source, external_id in wanted:
        by_source.setdefault(source, []).append(external_id)
    query = sa_text(
        f"SELECT code, external_id, {', '.join(COMPARED_COLUMNS)} FROM cases "  # noqa: S608
        "WHERE source = :source AND external_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    found: list[ChangedRow] = []
    for source, ids in by_source.items():
        for code, external_id, *stored in conn.execute(query, {"source": source, "ids": ids}):
            row = wanted[(source, external_id)]
            diff = {
                name: (was, now)
                for name, was in zip(COMPARED_COLUMNS, stored, strict=True)
                if (was or None) != ((now := row.case[insert.position[name]]) or None)
            }
            if diff:
                found.append(ChangedRow(row.line, code, external_id, diff))
    return sorted(found, key=lambda c: c.line)


def _apply_updates(
    conn: Connection, changed: list[ChangedRow], actor: Any, now: datetime, origin: str, report: ImportReport
) -> int:
    """`--update`: each changed row's contact and goods dates applied as a correction through
    the correction path (one `update` event each, with the file and line as its reason), in the
    batch's transaction; a correction refused (a number that is no phone) is a rejected row."""
    from .services import set_goods_days

    applied = 0
    with Session(bind=conn) as session:
        for row in changed:
            wanted = {name: now_value for name, (_, now_value) in row.fields.items() if name in CORRECTABLE}
            if not wanted:
                continue
            note = f"{origin}:{row.line}"  # the file and line it came from
            try:
                with session.begin_nested():
                    contact = {
                        k: v or "" for k, v in wanted.items() if k not in ("delivered_on", "returned_on")
                    }
                    if contact:
                        correct_contact(
                            session=session, code=row.code, actor=actor, now=now, note=note, **contact
                        )
                    days = {
                        k: date.fromisoformat(v)
                        for k, v in wanted.items()
                        if k in ("delivered_on", "returned_on") and v
                    }
                    if days:
                        set_goods_days(session=session, code=row.code, actor=actor, now=now, **days)
                applied += 1
            except KefuError as exc:
                report.reject(RowError(row.line, exc.field or ROW, exc.msg))
        session.flush()
    return applied


def _store_with_history(
    conn: Connection,
    row: _Prepared,
    revisions: Revisions,
    now: datetime,
    actor: Any,
    origin: str,
    report: ImportReport,
    sink: _ErrorSink | None = None,
) -> tuple[int, int]:
    """A row that brings its history: stored as any row, then its history replayed through the
    one door at the times given, in a savepoint — a step the lifecycle refuses (a resolution
    the policy lacks, an owner who may not own cases) rejects the row and leaves nothing of it.
    A row stored before is present: its history is not replayed again."""
    savepoint = conn.begin_nested()
    try:
        imported, present = store_batch(connection=conn, now=now, revisions=revisions, rows=[row])
        if imported:
            _replay(conn, row, actor, origin)
    except KefuError as exc:
        savepoint.rollback()
        columns = (row.history or {}).get("columns", {})
        field = {"amount": "amount", "score": "score"}.get(exc.field or "", exc.field or "status")
        column = columns.get(field) or columns.get("status") or "status"
        error = RowError(row.line, column, _without_code(exc.msg))
        report.reject(error)
        if sink is not None:
            sink.add(list((row.history or {}).get("cells", [])), error, row.key[0])
        return 0, 0
    savepoint.commit()
    return imported, present


def _without_code(message: Message) -> Message:
    """A refusal about a case the row would have made: the case is not stored, so its code is
    not said (`{code}: ...` messages give their reason alone)."""
    if message.key == "case.refused" and isinstance(message.params.get("reason"), Message):
        return message.params["reason"]
    return message


def _replay(conn: Connection, row: _Prepared, actor: Any, origin: str) -> None:
    """The moves that took a case to where the export says it went, by the importing
    supervisor at the times given: triage (when not triaged at intake), assign to its owner and
    a first contact (at the first response), the resolution (approved when the policy asks),
    the customer's answer. A step the lifecycle refuses is raised naming the history column it
    stands for (`owner` for the assignment, ...)."""
    from . import lifecycle, services, slacheck
    from .policies import case_profile

    history = row.history or {}
    rank = IMPORTABLE_STATES.index(history["status"])
    cases = _table("cases")
    code = conn.execute(
        select(cases.c.code).where(cases.c.source == row.key[0], cases.c.external_id == row.key[1])
    ).scalar_one()
    said = Message("note.imported", file=origin, line=row.line)  # in each reader's language
    step = "status"
    try:
        with Session(bind=conn) as session:
            case = lifecycle.get_case(session, code)
            start = history.get("first_response_at") or case.received_at
            if rank >= 1 and case.status == "new":
                lifecycle.move_case(
                    session=session, code=code, action="triage", actor=actor, now=start,
                    category=case.category, subcategory=case.subcategory, severity=case.severity,
                    complexity=case.complexity, party=case.party, department=case.department,
                    system_note=said,
                )  # fmt: skip
            if rank >= 2:
                step = "owner"
                lifecycle.move_case(session=session, code=code, action="assign", actor=actor, now=start,
                                    owner=history["owner"], system_note=said)  # fmt: skip
                if "first_response_at" in history:
                    services.add_note(session=session, code=code, actor=actor, now=start,
                                      text=f"{origin}:{row.line}", contact="call")  # fmt: skip
            if rank >= 3:
                step = "resolution"
                at = history.get("resolved_at") or history["closed_at"]
                fields = {k: history[k] for k in ("amount", "compensation_kind") if k in history}
                moved = lifecycle.move_case(session=session, code=code, action="propose", actor=actor,
                                            now=at, resolution=history["resolution"], system_note=said,
                                            **fields)  # fmt: skip
                if moved.status == "pending_approval":
                    lifecycle.move_case(session=session, code=code, action="approve", actor=actor, now=at,
                                        system_note=said)  # fmt: skip
            if rank >= 4:
                step = "satisfied"
                answer: dict[str, Any] = {"satisfied": history["satisfied"], "system_note": said}
                if "score" in history:
                    answer["score"] = history["score"]
                lifecycle.move_case(session=session, code=code, action="confirm", actor=actor,
                                    now=history["closed_at"], **answer)  # fmt: skip
            session.flush()
            case = lifecycle.get_case(session, code)
            slacheck.record_missed_in_history(session, case, case_profile(session, case))
            session.commit()  # releases the session's own savepoint: the batch's transaction commits
    except KefuError as exc:
        if exc.field is None or exc.field not in (row.history or {}).get("columns", {}):
            exc.field = exc.field if exc.field in ("amount", "compensation_kind", "score") else step
        raise


def store_batch(
    *,
    connection: Connection,
    now: datetime,
    revisions: Revisions,
    rows: list[_Prepared],
    changed: list[ChangedRow] | None = None,
) -> tuple[int, int]:
    """Store prepared rows inside the caller's write transaction: (imported, already present).

    A row whose (source, external id) is stored, or came earlier in the batch, counts as
    present. The others get their codes from the per-day counters and their repeat links (to
    stored cases and to rows before them), then go in with Core executemany inserts: the
    cases, their events in the order a typed-in case gets them, and the links."""
    conn = connection
    cases, links, counters = _table("cases"), _table("case_links"), _table("code_counters")
    case_insert, event_insert = _case_insert(conn.dialect), _event_insert(conn.dialect)
    deadline_insert = _deadline_insert(conn.dialect)
    present = _existing_keys(conn, [r.key for r in rows])
    fresh: list[_Prepared] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if row.key in present or row.key in seen:
            continue
        seen.add(row.key)
        fresh.append(row)
    already = len(rows) - len(fresh)
    if changed is not None and present:  # rows stored before: has the export changed them since?
        changed += _changed_rows(conn, [r for r in rows if r.key in present], case_insert)
    if not fresh:
        return 0, already

    day_keys = {r.day_key for r in fresh}
    last: dict[str, int] = {
        key: number
        for key, number in conn.execute(
            select(counters.c.day_key, counters.c.last).where(counters.c.day_key.in_(day_keys))
        )
    }
    stored_keys = set(last)
    codes: list[str] = []
    for row in fresh:
        last[row.day_key] = last.get(row.day_key, 0) + 1
        codes.append(case_code(row.day_key, last[row.day_key]))

    for row, customer_id in zip(fresh, customers_for(conn, [r.who for r in fresh], now), strict=True):
        case_insert.set(row.case, "customer_id", customer_id)
    by_phone, by_order = _stored_candidates(conn, revisions, fresh)

    def window_days(received_at: datetime) -> int:
        return revisions.at(received_at)[1].repeat.window_days

    first_new_order = 1 << 62
    # A row links to the complaints received before it that came before it (stored, or earlier
    # in the file); those received before it but listed after it link it back, below
    # (`link_later_repeats`), exactly as when typing the rows in one by one.
    row_links: list[list[_Earlier]] = []
    link_events: list[dict[str, Any] | None] = []
    for index, (row, code) in enumerate(zip(fresh, codes, strict=True)):
        repeats: list[_Earlier] = []
        window = repeat_window(revisions.at(row.received_at)[1], row.received_at)
        if window is not None and (row.phone or row.order_no):
            found: dict[int, _Earlier] = {}
            mine = (row.received_at, first_new_order + index)
            for earlier in by_phone.get(row.phone or "", []) + by_order.get(row.order_no or "", []):
                if (
                    window[0] <= earlier.received_at <= window[1]
                    and (earlier.received_at, earlier.order) < mine
                ):
                    found[earlier.order] = earlier
            if found:
                by_code = {e.code: e for e in found.values()}
                picked = newest_first((e.received_at, e.order, e.code) for e in found.values())
                repeats = [by_code[c] for c in picked]
        case_insert.set(row.case, "code", code)
        case_insert.set(row.case, "repeat_of", repeats[0].code if repeats else None)
        row_links.append(repeats)
        link_events.append(link_event([e.code for e in repeats], now))
        me = _Earlier(row.received_at, first_new_order + index, code, None, index)
        if row.phone:
            by_phone.setdefault(row.phone, []).append(me)
        if row.order_no:
            by_order.setdefault(row.order_no, []).append(me)

    # The new rows' ids are above the highest one before the insert (on PostgreSQL too, where
    # another session's rows may come in between: those are told apart by their codes).
    highest = conn.execute(select(func.max(cases.c.id))).scalar() or 0
    case_insert.execute(conn, [r.case for r in fresh])
    query = select(cases.c.code, cases.c.id).where(cases.c.id > highest)
    ids: dict[str, int] = {code: case_id for code, case_id in conn.execute(query)}
    event_rows: list[list[Any]] = []
    deadline_rows: list[list[Any]] = []
    link_rows: list[dict[str, Any]] = []
    for row, code, repeats, link_row in zip(fresh, codes, row_links, link_events, strict=True):
        case_id = ids[code]
        for deadline in row.deadlines:
            deadline_insert.set(deadline, "case_id", case_id)
            deadline_rows.append(deadline)
        created, *later = row.events
        created["case_id"] = case_id
        event_rows.append(event_insert.row(created))
        for event in ([link_row] if link_row is not None else []) + later:
            event["case_id"] = case_id
            event_rows.append(event_insert.row(event))
        for earlier in repeats:
            other = earlier.case_id
            if other is None:
                assert earlier.index is not None
                other = ids[codes[earlier.index]]
            link_rows.append({"case_id": case_id, "other_id": other, "kind": "repeat"})
    event_insert.execute(conn, event_rows)
    deadline_insert.execute(conn, deadline_rows)
    if link_rows:
        conn.execute(insert(links), link_rows)
    known = [{"k": k, "v": v} for k, v in last.items() if k in stored_keys]
    if known:
        conn.execute(
            update(counters).where(counters.c.day_key == bindparam("k")).values(last=bindparam("v")),
            known,
        )
    new = [{"day_key": k, "last": v} for k, v in last.items() if k not in stored_keys]
    if new:
        conn.execute(insert(counters), new)
    link_later_repeats(
        conn,
        [
            NewCase(ids[code], code, row.received_at, row.phone, row.order_no, window_days(row.received_at))
            for row, code in zip(fresh, codes, strict=True)
        ],
        now,
    )
    return len(fresh), already


# -- the whole import ------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(Message("import.unknown_zone", zone=name), field="timezone") from None


@contextmanager
def _import_connection(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One connection for the whole import; each batch is its own transaction on it, begun
    IMMEDIATE when writing (the engine's write option), and none is open between batches.

    A connection per batch would be the last one open on the file when it closes, and closing
    the last connection checkpoints the WAL into the database and syncs it: every batch would
    pay for a full checkpoint."""
    with engine.execution_options(kefu_write=write).connect() as conn:
        yield conn


def _key_hash(key: tuple[str, str]) -> int:
    digest = hashlib.blake2b(f"{key[0]}\x00{key[1]}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def import_file(
    *,
    engine: Engine,
    actor: Any,
    now: datetime,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file (see the module docstring); raises InvalidInput if it cannot be read at all."""
    refused = role_refusal(actor.role, SUPERVISING, Message("do.import"))
    if refused is not None:
        raise PermissionDenied(refused)
    path = options.path
    fmt = detect_format(path, options.format)
    if not options.dry_run:
        kdb.require_sound(engine)  # a damaged desk takes no batch (`db.require_sound`)
    source = (options.source or "").strip() or path.stem
    source_cap = column_widths()["source"]
    if len(source) > source_cap:
        message = Message("import.source_too_long", source=source, limit=source_cap)
        raise InvalidInput(message, field="source")
    if options.batch_size < 1:
        raise InvalidInput(Message("import.batch_size"), field="batch_size")
    with kdb.read_session(engine) as session:
        revisions = Revisions(session)  # each row takes the revision in force at its receipt
    _, profile = revisions.at(now)
    zone = _zone(options.timezone or profile.calendar.timezone)

    with _csv_field_limit(MAX_CELL_CHARS):
        reader = _open(path, fmt, options.encoding)
        try:
            checker = _RowChecker(
                revisions=revisions,
                zone=zone,
                now=now,
                date_only=options.date_only,
                business_hours=list(profile.calendar.business_hours),
                default_source=source,
                forced_source=(options.source or "").strip() or None,
                ignore_unknown=options.ignore_unknown,
                header=reader.header,
                path=path,
                guessed_encoding=reader.encoding if not options.encoding else None,
            )
            report = ImportReport(
                file=str(path),
                format=fmt,
                encoding=None if reader.encoding is None else reader.encoding.replace("-sig", ""),
                source=source,
                dry_run=options.dry_run,
                other_sheets=reader.other_sheets,
                errors_file=str(options.errors_path) if options.errors_path else None,
                header_line=reader.header_line,
                skipped_above=reader.skipped_above,
                delimiter=getattr(reader, "delimiter", None),
            )
            sink = _ErrorSink(options.errors_path, reader.header, options.lang)
            prepare = _Preparer(
                revisions=revisions,
                dialect=engine.dialect,
                actor=actor.name,
                now=now,
                origin=path.name,
            )
            produced = _produce(reader, checker, prepare, options.batch_size)
            try:
                with _from_reader_process(produced, reader) as messages:
                    with _import_connection(engine, write=not options.dry_run) as conn:
                        _run(
                            messages,
                            sink,
                            report,
                            conn=conn,
                            now=now,
                            revisions=revisions,
                            dry_run=options.dry_run,
                            total_lines=reader.total_lines,
                            progress=progress,
                            update_as=actor if options.update else None,
                            origin=path.name,
                            history_actor=actor,
                        )
            finally:
                sink.write()
        finally:
            reader.close()
    return report


# Messages from reading to storing: a batch of checked rows, then one end.


@dataclass
class _Batch:
    lines_read: int
    rows: int
    rejected: list[tuple[RowError, list[tuple[str, Any]], str]]
    ready: list[_Prepared]
    ignored: list[str]
    totals: int = 0
    """A register's total lines (合计 …) read past: they sum the rows, they are no complaint."""


_TOTAL_WORDS = ("合计", "总计", "小计", "共计", "total", "sum")


def _is_total(raw: _RawRow) -> bool:
    """A sheet's closing total line: it starts with 合计 / 总计 / Total and fills at most half
    of the row."""
    cells = [v for _, v in raw.cells if v is not None and str(v).strip()]
    if not cells or len(cells) * 2 > max(len(raw.cells), 2):
        return False
    first = fold(str(cells[0])).rstrip(":：")
    return first.startswith(_TOTAL_WORDS)


@dataclass
class _End:
    lines_read: int
    stopped: Message | None
    ignored: list[str]


def _screened(raw: _RawRow) -> _RawRow:
    """A row as the checks take it: a cell kefu's errors file escaped for spreadsheets
    (`exports.safe_cell`: '=...) read back as it was written; a NUL byte, which no complaint
    holds (a binary or UTF-16 file read as text), rejects the row."""
    if raw.problem is not None:
        return raw
    cells = [(name, unescape_cell(value) if isinstance(value, str) else value) for name, value in raw.cells]
    for name, value in cells:
        if isinstance(value, str) and "\x00" in value:
            return _RawRow(raw.line, cells, RowError(raw.line, ROW, Message("import.nul_byte", column=name)))
    return _RawRow(raw.line, cells)


def _produce(reader: _Reader, checker: _RowChecker, prepare: _Preparer, size: int) -> Iterator[_Batch | _End]:
    """Read, check and prepare rows; a batch every `size` good rows, then the end (with the
    problem that ended the file early, if one did)."""
    rows = 0
    batch = _Batch(0, 0, [], [], [])
    stopped: Message | None = None
    try:
        for raw in reader.rows():
            if rows >= MAX_ROWS:
                raise _Fatal(raw.line, Message("import.too_many_rows", line=raw.line, limit=MAX_ROWS))
            if _is_total(raw):
                batch.totals += 1
                continue
            rows += 1
            batch.rows += 1
            raw = _screened(raw)
            try:
                result = checker.check(raw)
            except (ValueError, TypeError, OverflowError, RecursionError, UnicodeError) as exc:
                # A poison cell the checks did not foresee: this row is rejected, the file goes on.
                result = RowError(raw.line, ROW, Message("import.row_failed", error=type(exc).__name__))
            if isinstance(result, RowError):
                source = checker.forced_source or _row_source(raw) or checker.default_source
                batch.rejected.append((result, raw.cells, source))
                continue
            batch.ready.append(prepare(result))
            if len(batch.ready) >= size:
                batch.lines_read, batch.ignored = reader.lines_read, list(checker.ignored)
                yield batch
                batch = _Batch(0, 0, [], [], [])
    except _Fatal as stop:
        stopped = stop.message
    batch.lines_read, batch.ignored = reader.lines_read, list(checker.ignored)
    if batch.rows or batch.totals:
        yield batch
    yield _End(reader.lines_read, stopped, list(checker.ignored))


@contextmanager
def _from_reader_process(
    produced: Iterator[_Batch | _End], reader: _Reader
) -> Iterator[Iterator[_Batch | _End]]:
    """Run `produced` in a forked process where the platform forks; in this one otherwise.

    Reading, checking and preparing rows then runs beside the database work on another core
    (Python threads would take turns). The child only reads the file (the database is opened
    after it is forked) and sends batches through a pipe, which holds the child back when it is
    a batch ahead. It leaves when the pipe breaks: when this process ends, even by kill -9."""
    forkable = "fork" in multiprocessing.get_all_start_methods()
    # Forking a process that runs other threads can copy a lock some thread holds: then stay.
    if not (FORK_READER and forkable and threading.active_count() == 1):
        yield produced
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        receiver.close()
        try:
            for message in produced:
                sender.send(message)
        except (BrokenPipeError, KeyboardInterrupt):
            return
        except BaseException as exc:  # a bug: hand it over to be raised in the parent
            with suppress(BrokenPipeError):
                sender.send(_Crash(f"{type(exc).__name__}: {exc}"))

    worker = context.Process(target=child, name="kefu-import-reader", daemon=True)
    worker.start()
    sender.close()
    reader.close()  # the child has its own copy of the open file

    def receive() -> Iterator[_Batch | _End]:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError("the import's reading process ended unexpectedly") from None
            if isinstance(message, _Crash):
                raise RuntimeError(f"the import's reading process failed: {message.error}")
            yield message
            if isinstance(message, _End):
                return

    try:
        yield receive()
    finally:
        receiver.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.terminate()
            worker.join()


@dataclass(frozen=True)
class _Crash:
    error: str


def _run(
    messages: Iterator[_Batch | _End],
    sink: _ErrorSink,
    report: ImportReport,
    *,
    conn: Connection,
    now: datetime,
    revisions: Revisions,
    dry_run: bool,
    total_lines: int | None,
    progress: Progress | None,
    update_as: Any = None,
    origin: str = "",
    history_actor: Any = None,
) -> None:
    seen_in_dry_run: set[int] = set()

    def count_dry(batch: list[_Prepared]) -> None:
        with conn.begin():
            present = _existing_keys(conn, [r.key for r in batch])
            if present:
                stored = [r for r in batch if r.key in present]
                report.note_changed(_changed_rows(conn, stored, _case_insert(conn.dialect)))
        for row in batch:
            hashed = _key_hash(row.key)
            if row.key in present or hashed in seen_in_dry_run:
                report.already_present += 1
            else:
                seen_in_dry_run.add(hashed)
                report.imported += 1

    def store(batch: list[_Prepared]) -> None:
        try:
            with conn.begin():
                first = history.newest_event_id(conn)
                changed: list[ChangedRow] = []
                plain = [r for r in batch if r.history is None]
                imported, already = store_batch(
                    connection=conn, now=now, revisions=revisions, rows=plain, changed=changed
                )
                for row in (r for r in batch if r.history is not None):
                    done, present = _store_with_history(
                        conn, row, revisions, now, history_actor, origin, report, sink
                    )
                    imported, already = imported + done, already + present
                if update_as is not None and changed:
                    report.updated += _apply_updates(conn, changed, update_as, now, origin, report)
                history.seal(conn, after=first)  # the batch's events chained in its own transaction
        except DBAPIError as exc:  # busy past the timeout, disk full: earlier batches stay
            first = batch[0].line
            report.store_failed = True
            why = kdb.sqlite_reason(str(exc.orig), kdb.sqlite_path(conn.engine))
            raise _Fatal(first, Message("import.batch_not_stored", line=first, error=why)) from exc
        report.imported += imported
        report.already_present += already
        report.note_changed(changed)

    try:
        for message in messages:
            report.ignored_columns = message.ignored
            if isinstance(message, _End):
                report.stopped = message.stopped
                break
            report.rows += message.rows
            report.totals_skipped += message.totals
            for error, cells, source in message.rejected:
                report.reject(error)
                sink.add(cells, error, source)
            if message.ready:
                (count_dry if dry_run else store)(message.ready)
            if progress is not None:
                progress(message.lines_read, total_lines)
    except _Fatal as stop:
        report.stopped = stop.message
    if progress is not None and total_lines is not None:
        progress(total_lines, total_lines)


def _row_source(raw: _RawRow) -> str | None:
    for column, value in raw.cells:
        if column_for(column) == "source" and isinstance(value, str) and value.strip():
            return value.strip()
    return None
