"""Opening the store: engine and pragmas, read/write sessions, schema migrations.

SQLite: WAL, foreign keys, a busy timeout, and write transactions begun IMMEDIATE (SQLAlchemy's
documented pysqlite recipe: pysqlite's own BEGIN handling is switched off and the `begin`
event emits ours), so two writers never both read an old row and then both write. Reads use
plain deferred transactions so open TUIs never hold the write lock.

PostgreSQL (a `postgresql+psycopg://` URL) is on the roadmap but not built or tested yet; such a
URL is refused with that sentence rather than half-working.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from . import history, sharing
from .errors import DatabaseError, InvalidInput
from .messages import Message

APPLICATION_ID = 0x4B454655  # "KEFU"
BUSY_TIMEOUT_S = 15.0
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def database_url(db: str) -> str:
    """A SQLAlchemy URL for a path or URL given with --db / KEFU_DB."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser()}"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(db: str) -> Engine:
    """An engine with kefu's pragmas and transaction rules; nothing is created or migrated."""
    url = database_url(db)
    if not url.startswith("sqlite"):
        scheme = url.split("://", 1)[0]
        raise DatabaseError(Message("db.unsupported", scheme=scheme), field="db")
    # Connections are kept for the process's next transaction (one per thread at a time): a
    # new one per transaction ran the pragmas again, and closing the last connection to a WAL
    # file checkpoints it, which made every commit of a busy desk pay for a checkpoint.
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        pool_size=4,
        max_overflow=8,
        pool_reset_on_return="rollback",
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        # A migration turned foreign keys off on this connection; the pool keeps connections
        # for the next transaction, which must have them on.
        if record.info.pop("kefu_foreign_keys_off", False):
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("kefu_migrate"):
            # SQLite's procedure for schema changes: foreign keys off (it only takes effect
            # outside a transaction) so a batch migration can rebuild a referenced table;
            # the migration environment runs foreign_key_check before it commits.
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            conn.connection.info["kefu_foreign_keys_off"] = True  # back on before anyone reuses it
        if options.get("kefu_write") or options.get("kefu_migrate"):
            refuse_if_marked(engine)  # found damaged once: no kefu writes into it again
            driver = conn.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            begin_immediate(driver)
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _busy(said: str) -> bool:
    """Whether SQLite's words mean another connection holds the lock."""
    reason = said.lower()
    return "locked" in reason or "busy" in reason


WAIT_STEP_S = (0.0002, 0.004)
"""The first and the longest pause between two tries for the write lock."""


def begin_immediate(connection: sqlite3.Connection) -> None:
    """`BEGIN IMMEDIATE`, waiting up to BUSY_TIMEOUT_S for another writer in short, jittered steps.

    SQLite's own busy handler sleeps in growing steps up to 100 ms, so on a busy desk a writer
    that lost the lock a few times waited far longer than anyone held it (a kefu transaction
    holds it for a millisecond or two): 8 agents at once saw a p99 of 180-440 ms. Here the
    pause doubles from 0.2 ms to at most 4 ms, with jitter so waiting writers do not retry in
    step; the connection's busy timeout is back in force for everything inside the transaction.
    Raises `DatabaseError` (db.busy) when the lock did not come in time."""
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        pause = WAIT_STEP_S[0]
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(str(exc)):
                    raise
                if time.monotonic() >= deadline:
                    raise DatabaseError(Message("db.busy", seconds=BUSY_TIMEOUT_S)) from None
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, WAIT_STEP_S[1])
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: BEGIN IMMEDIATE on SQLite; commit on success, roll back on error."""
    write_engine = engine.execution_options(kefu_write=True)
    with Session(write_engine, expire_on_commit=False) as session:
        try:
            first = history.newest_ids(session.connection())  # opens the write transaction
            yield session
            session.flush()
            history.seal_all(session.connection(), after=first)  # what it wrote, chained before commit
            session.commit()
        except (OperationalError, sqlite3.OperationalError) as exc:  # the driver's own: from BEGIN
            with contextlib.suppress(DBAPIError, sqlite3.DatabaseError):
                session.rollback()
            said = str(getattr(exc, "orig", exc))
            if _busy(said):
                raise DatabaseError(Message("db.busy", seconds=BUSY_TIMEOUT_S)) from None
            reason = said.lower()
            if "readonly" in reason or "disk" in reason or "full" in reason:
                # SQLite's own words for why (e.g. "attempt to write a readonly database")
                why = sqlite_reason(said, sqlite_path(engine))
                raise DatabaseError(Message("db.cannot_write", reason=why)) from None
            raise failure(engine, exc) from None
        except (DBAPIError, sqlite3.DatabaseError) as exc:
            with contextlib.suppress(DBAPIError, sqlite3.DatabaseError):
                session.rollback()
            raise failure(engine, exc) from None
        except PoolTimeout:  # every pooled connection of this process in use for 30 s
            raise DatabaseError(Message("db.busy", seconds=BUSY_TIMEOUT_S)) from None
        except BaseException:
            session.rollback()
            raise


def failure(db: str | Engine, exc: BaseException) -> DatabaseError:
    """What a driver error under a command means to its user, in one sentence: the file is
    damaged (and from now on marked so: `mark_damaged`), or it failed for SQLite's reason."""
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    path = desk_file(db)
    where = str(path) if path is not None else str(db if isinstance(db, str) else "")
    if any(w in reason.lower() for w in ("malformed", "not a database", "corrupt", "decode")):
        mark_damaged(db, reason)
        return DatabaseError(Message("db.damaged", path=where, reason=reason))
    return DatabaseError(Message("db.failed", path=where, reason=sqlite_reason(reason, path)))


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A short read-only session; closed (and its snapshot released) on exit.

    Closing detaches what was read without expiring it, so callers may keep using the loaded
    rows after the block (a rollback would expire them and every later attribute access
    would fail with DetachedInstanceError)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except (DBAPIError, sqlite3.DatabaseError) as exc:  # a damaged page read, an I/O error
            raise failure(engine, exc) from None
        except PoolTimeout:  # every pooled connection of this process in use for 30 s
            raise DatabaseError(Message("db.busy", seconds=BUSY_TIMEOUT_S)) from None
        finally:
            session.close()


# -- schema -----------------------------------------------------------------------------


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config  # Alembic only when the schema moves: not on every command

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


_REVISION = re.compile(r'^revision: str = "([^"]+)"', re.MULTILINE)


@functools.cache
def _known_revisions() -> tuple[str, ...]:
    """Every schema revision this code knows, oldest first, read from the migration files'
    `revision = ...` lines (the files are named and chained in order; `tests/test_migrations.py`
    pins this against Alembic's own reading) — without importing Alembic."""
    found = []
    for script in sorted(MIGRATIONS_DIR.joinpath("versions").glob("[0-9][0-9][0-9][0-9]_*.py")):
        match = _REVISION.search(script.read_text(encoding="utf-8"))
        if match is not None:
            found.append(match.group(1))
    return tuple(found)


def code_head() -> str:
    """The newest schema revision this code knows."""
    return _known_revisions()[-1]


def database_revision(engine: Engine) -> str | None:
    """The file's schema revision (Alembic's `alembic_version` row), None for an empty file."""
    with engine.connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except OperationalError as exc:
            if "no such table" in str(exc.orig).lower() or "does not exist" in str(exc.orig).lower():
                return None
            raise


def _application_id(path: Path) -> int:
    """The file's application_id, read without kefu's pragmas: a file that turns out not to be
    kefu's must be left exactly as it was (the engine would switch it to WAL on connect)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA application_id").fetchone()[0] or 0)
    finally:
        conn.close()


def sqlite_path(engine: Engine) -> Path | None:
    """The desk file of a SQLite engine (None for PostgreSQL)."""
    return Path(engine.url.database) if is_sqlite(engine) and engine.url.database else None


def desk_file(db: str | Engine) -> Path | None:
    """The desk file a `--db` value or an engine names (None for a PostgreSQL URL)."""
    if isinstance(db, Engine):
        return sqlite_path(db)
    return None if "://" in db else Path(db).expanduser()


LOW_SPACE = 256 * 1024
"""Free bytes under which SQLite's "disk I/O error" is taken to mean the disk is full (it says
so when it cannot even create the -shm it needs)."""


def sqlite_reason(text: str, where: Path | None = None) -> Message | str:
    """SQLite's reason as a user reads it: a full disk said so in their language (also when
    SQLite only says "disk I/O error" and `where`'s file system has no room left); anything
    else in SQLite's own words."""
    lowered = text.lower()
    if "disk is full" in lowered:
        return Message("disk.full")
    if "disk i/o error" in lowered and where is not None:
        with contextlib.suppress(OSError):
            if shutil.disk_usage(where if where.is_dir() else where.parent).free < LOW_SPACE:
                return Message("disk.full")
    return text


def check_schema(engine: Engine) -> str:
    """Refuse a file that is not kefu's or was written by a newer kefu; return its revision."""
    path = sqlite_path(engine)
    if path is not None:
        if not path.exists():
            raise DatabaseError(Message("db.missing", path=str(path)))
        sharing.check_access(path)
        try:
            app_id = _application_id(path)
        except sqlite3.OperationalError as exc:  # SQLite's reason, in its own words
            raise DatabaseError(
                Message("db.cannot_open", path=str(path), reason=sqlite_reason(str(exc), path))
            ) from None
        except sqlite3.DatabaseError as exc:  # file is not a database
            raise DatabaseError(Message("db.not_sqlite", path=str(path), reason=str(exc))) from None
        if app_id != APPLICATION_ID:
            raise DatabaseError(Message("db.not_kefu", path=str(path)))
    revision = database_revision(engine)
    if revision is None:
        raise DatabaseError(Message("db.no_schema"))
    if revision not in _known_revisions():
        raise DatabaseError(Message("db.newer_schema", revision=revision))
    return revision


def upgrade_schema(engine: Engine) -> None:
    """Create or migrate the schema forward to this code's head, in one transaction.

    The transaction is a write one (BEGIN IMMEDIATE on SQLite) that reads the revision it
    starts from: when several kefu processes open an older file at once, one migrates and the
    others wait, then find nothing left to do (instead of failing with "database is locked")."""
    if is_sqlite(engine):
        with engine.connect() as conn:
            if conn.exec_driver_sql("PRAGMA application_id").scalar() != APPLICATION_ID:
                conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.commit()
    from alembic import command

    command.upgrade(_alembic_config(engine.execution_options(kefu_migrate=True)), "head")


def open_database(db: str, *, migrate: bool = True) -> Engine:
    """An engine on an existing kefu database, migrated forward if it is older than the code.
    A shared desk's `-wal` / `-shm` are checked before (another user's that members cannot
    write is refused) and after (one this process made is put in the desk's group)."""
    engine = make_engine(db)
    path = sqlite_path(engine)
    if path is not None:
        sharing.check_open(path)
    revision = check_schema(engine)
    if path is not None:
        sharing.check_open(path)
    if revision != code_head():
        if not migrate:
            raise DatabaseError(Message("db.older_schema", revision=revision))
        upgrade_schema(engine)
    return engine


def create_database(db: str, *, group: str | None = None) -> Engine:
    """A new, empty kefu database at the current schema. Refuses to touch an existing file.
    The file is the owner's only (0600), or shared by `group` (0660 in a setgid directory of
    the group: `kefu.core.sharing`)."""
    engine = make_engine(db)
    path = sqlite_path(engine)
    if path is not None:
        if path.exists() and path.stat().st_size > 0:
            raise InvalidInput(Message("db.exists", path=str(path)), field="db")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with sharing.creating(path, group):
                upgrade_schema(engine)
        except BaseException:  # a full disk, an I/O error: no empty or half-made file is left
            engine.dispose()
            remove_sqlite_files(path)
            raise
        return engine
    if database_revision(engine) is not None:
        raise InvalidInput(Message("db.postgres_exists"), field="db")
    upgrade_schema(engine)
    return engine


# -- damage --------------------------------------------------------------------------------
#
# SQLite finds a damaged page only when a statement reads it, so a write can succeed on a file
# whose other pages are garbage; a full check costs a second per 200,000 cases, too much before
# every write. So the first kefu process that meets the damage — any command's statement,
# `doctor`, `backup`, or the quick check the batch jobs (import, purge) run first — leaves a
# mark beside the file, and from then on every kefu write on that desk is refused in one
# sentence (reads go on, so people can see what is still there). `kefu doctor` removes the mark
# once the file checks out again (a backup restored over it).


def damage_mark(path: Path) -> Path:
    return path.with_name(f"{path.name}.damaged")


def mark_damaged(db: str | Engine, reason: str) -> None:
    """Leave the mark (best effort: a user who may not write the directory cannot, and the
    command that found the damage fails anyway)."""
    path = desk_file(db)
    if path is None:
        return
    mark = damage_mark(path)
    with contextlib.suppress(OSError):
        if not mark.exists():
            mark.write_text(f"{datetime.now(UTC).isoformat(timespec='seconds')} {reason}\n", encoding="utf-8")
            sharing.backup_mode(path, mark)


def refuse_if_marked(engine: Engine) -> None:
    path = sqlite_path(engine)
    if path is None:
        return
    mark = damage_mark(path)
    if mark.exists():
        try:
            found = mark.read_text(encoding="utf-8").strip()
        except OSError:
            found = ""
        raise DatabaseError(Message("db.marked_damaged", path=str(path), found=found))


def clear_damage_mark(engine: Engine) -> bool:
    """After a clean integrity check (`kefu doctor`): whether there was a mark to remove."""
    path = sqlite_path(engine)
    if path is None or not damage_mark(path).exists():
        return False
    damage_mark(path).unlink(missing_ok=True)
    return True


def require_sound(engine: Engine) -> None:
    """SQLite's quick check before a batch job writes (import, purge): a damaged file is marked
    and refused before a row is written."""
    path = sqlite_path(engine)
    if path is None:
        return
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        found = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        found = str(exc)
    finally:
        conn.close()
    if found != "ok":
        reason = " ".join(str(found).replace("*** in database main ***", "").split())
        mark_damaged(engine, reason)
        raise DatabaseError(Message("db.damaged", path=str(path), reason=reason))


def remove_sqlite_files(path: Path) -> None:
    """A desk file kefu just created and could not finish, with its companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def backup_sqlite(engine: Engine, target: Path) -> None:
    """A consistent online copy through SQLite's backup API (readers and writers keep going).

    The copy is written beside the target and renamed into place when complete, so a failed
    backup (full disk, unwritable directory) never leaves a half file under the target name."""
    path = sqlite_path(engine)
    if path is None:
        raise DatabaseError(Message("backup.sqlite_only"))
    if target.exists():
        raise InvalidInput(Message("backup.exists", path=str(target)), field="to")
    if not target.parent.is_dir():
        raise InvalidInput(Message("backup.not_a_directory", path=str(target.parent)), field="to")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # never readable by others
    source = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)
    try:
        dest = sqlite3.connect(str(partial))
        try:
            with dest:
                source.backup(dest)
            dest.execute("PRAGMA journal_mode = WAL")
            # A copy of a damaged desk is no backup: refused, and the last good one kept.
            checked = dest.execute("PRAGMA quick_check(1)").fetchone()[0]
            if checked != "ok":
                reason = " ".join(str(checked).replace("*** in database main ***", "").split())
                mark_damaged(engine, reason)
                raise DatabaseError(Message("backup.damaged", path=str(path), reason=reason))
        finally:
            dest.close()
        sharing.backup_mode(path, partial)  # as private as the desk: its group and mode
        partial.replace(target)
    except sqlite3.Error as exc:
        # SQLite's reason, in its own words
        why = sqlite_reason(str(exc), target.parent)
        raise DatabaseError(Message("backup.failed", path=str(target), reason=why)) from None
    finally:
        source.close()
        for leftover in (partial, *(Path(f"{partial}{end}") for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)


def integrity_check(engine: Engine) -> list[Message | str]:
    """What SQLite's integrity and foreign-key checks find: its own English lines as they are,
    a foreign-key problem as a message (`str()` of each is the English)."""
    if not is_sqlite(engine):
        return []
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("PRAGMA integrity_check")).scalars().all()
            fk = conn.execute(text("PRAGMA foreign_key_check")).all()
    except DBAPIError as exc:  # too damaged for the checks to finish: SQLite's reason
        return [str(exc.orig)]
    problems: list[Message | str] = [str(r) for r in rows if r != "ok"]
    problems += [Message("db.foreign_key", row=str(tuple(r))) for r in fk]
    return problems
