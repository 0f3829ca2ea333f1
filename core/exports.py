"""Files for other programs: CSV that Excel opens safely and correctly, JSON that scripts parse.

CSV is written as UTF-8 with a byte-order mark (Excel otherwise reads Chinese as mojibake) and
CRLF line ends. A text cell that starts with `=`, `+`, `-`, `@`, a tab, a carriage return or a
line feed would be run by Excel / WPS as a formula ("CSV injection", OWASP); such a cell is
neutralised with a leading apostrophe, which Excel shows as plain text. Numbers are written as
numbers and never touched, so a report's figures stay summable.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""First characters that make a spreadsheet treat a cell as a formula."""

BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will show, never evaluate."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).replace("\x00", "\u2400")  # a NUL ends the cell in many programs: shown as ␀
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """A cell `safe_cell` escaped, as it was: kefu's own files can be imported again."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def write_csv(stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a BOM, the header and the rows (every cell made safe); returns the rows written."""
    stream.write(BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV document as one string (BOM included)."""
    buffer = io.StringIO()
    write_csv(buffer, header, rows)
    return buffer.getvalue()


def json_text(document: Any) -> str:
    """Stable JSON for scripts: UTF-8 text, keys in the order built, dates as ISO 8601."""
    return json.dumps(document, ensure_ascii=False, indent=2, default=_iso) + "\n"


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class WholeFile:
    """A file written whole or not at all: into a temporary file beside `path` (mode 0600 —
    exports and rejected rows hold customers' data), renamed over `path` by `commit`; `discard`
    (or any failure) removes it and leaves `path` as it was. A full disk mid-write never leaves
    an empty or truncated file under the name asked for. A path that is not a regular file
    (`/dev/stdout`, a pipe) is written directly."""

    def __init__(self, path: Path, *, encoding: str = "utf-8", newline: str | None = "") -> None:
        self.path = path
        self.temporary: str | None = None
        if path.exists() and not path.is_file():
            self.stream: IO[str] = path.open("w", encoding=encoding, newline=newline)
            return
        fd, self.temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        self.stream = os.fdopen(fd, "w", encoding=encoding, newline=newline)

    def commit(self) -> None:
        self.stream.flush()
        if self.temporary is not None:
            os.fsync(self.stream.fileno())
        self.stream.close()
        if self.temporary is not None:
            os.replace(self.temporary, self.path)
            self.temporary = None

    def discard(self) -> None:
        with suppress(OSError):
            self.stream.close()
        if self.temporary is not None:
            with suppress(FileNotFoundError):
                os.unlink(self.temporary)
            self.temporary = None


@contextmanager
def open_for_export(path: Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text file for an export, written whole or not at all (`WholeFile`); newline='' so the
    csv module's CRLF reaches the disk as is."""
    whole = WholeFile(path, encoding=encoding)
    try:
        yield whole.stream
        whole.commit()
    except BaseException:
        whole.discard()
        raise


def write_json_items(stream: IO[str], head: dict[str, Any], key: str, items: Iterable[Any]) -> int:
    """One JSON document, `head` with `key` holding the items, written item by item so that a
    large export never sits in memory; returns the number of items."""
    opening = json.dumps(head, ensure_ascii=False, indent=2, default=_iso)
    stream.write(opening[: opening.rindex("}")].rstrip() + f',\n  "{key}": [')
    count = 0
    for item in items:
        stream.write(",\n    " if count else "\n    ")
        stream.write(json.dumps(item, ensure_ascii=False, default=_iso))
        count += 1
    stream.write("\n  ]\n}\n" if count else "]\n}\n")
    return count
