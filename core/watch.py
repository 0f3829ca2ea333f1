"""Noticing other people's changes: open TUIs refresh within about a second.

SQLite's `PRAGMA data_version` changes whenever another connection commits to the file. A
`ChangeWatcher` keeps one dedicated connection for asking it (cheap: no table is read and no
transaction is held, so WAL checkpoints are never blocked) and reports whether anything was
committed since the last call. PostgreSQL has no such counter; there the watcher reports a
change every `fallback_seconds`, which makes open screens re-read on a slow timer instead.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from .db import BUSY_TIMEOUT_S, database_url


class ChangeWatcher:
    """`changed()` is True when another connection committed since the previous call."""

    def __init__(self, db: str, *, fallback_seconds: float = 5.0) -> None:
        url = database_url(db)
        self._lock = threading.Lock()
        self._fallback_seconds = fallback_seconds
        self._last_poll = time.monotonic()
        self._connection: sqlite3.Connection | None = None
        self._version: int | None = None
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[1] if ":///" in url else ""
            if path and path != ":memory:":
                self._connection = sqlite3.connect(
                    str(Path(path).expanduser()), timeout=BUSY_TIMEOUT_S, check_same_thread=False
                )
                self._connection.isolation_level = None  # autocommit: never hold a transaction
                self._version = self._data_version()

    @property
    def is_exact(self) -> bool:
        """True on SQLite (a real change counter), False when falling back to a timer."""
        return self._connection is not None

    def _data_version(self) -> int:
        assert self._connection is not None
        row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def changed(self) -> bool:
        """Whether the database changed since the last call (thread-safe, takes microseconds)."""
        with self._lock:
            if self._connection is None:
                now = time.monotonic()
                if now - self._last_poll >= self._fallback_seconds:
                    self._last_poll = now
                    return True
                return False
            try:
                version = self._data_version()
            except sqlite3.Error:
                return False  # a busy or vanished file: say nothing now, ask again next time
            if version != self._version:
                self._version = version
                return True
            return False

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
