"""The database: engines for SQLite and PostgreSQL, units of work, and migrations on open."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm import sessionmaker as SessionFactory

from app import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Enough connections for every thread of the server's pool plus the grading workers; a
# request that has to wait for a connection waits, it does not fail.
POOL_SIZE = 10
POOL_OVERFLOW = 40
POOL_TIMEOUT_S = 60
# An execution option: the transaction will write, so SQLite takes the write lock at BEGIN.
WRITE = "mock_interview_write"


def create_db_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE for writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=POOL_TIMEOUT_S,
        )
    if parsed.database and parsed.database != ":memory:":
        # A URI filename ("file:/path?mode=ro&uri=true") names the same path without "file:";
        # taken literally it would create a "file:" folder in the working directory.
        path = parsed.database
        if parsed.query.get("uri") == "true":
            path = path.removeprefix("file:")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
    )
    writers = _WRITERS[engine] = _WriterLock(SQLITE_BUSY_TIMEOUT_MS / 1000)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", writers.begin)
    event.listen(engine, "commit", writers.end)
    event.listen(engine, "rollback", writers.end)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off so that `_WriterLock.begin` decides how a
    # transaction starts (and SAVEPOINTs work).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


FLUSHED = "mock_interview_flushed"


def _note_flush(session: Session, _context: Any) -> None:
    session.info[FLUSHED] = True


class _WriterLock:
    """One SQLite writer at a time in this process, handed over the moment it commits.

    A transaction that reads and then writes cannot upgrade its lock once another writer
    committed ("database is locked" at once, whatever the busy timeout): writers take the
    lock at BEGIN IMMEDIATE instead. Waiting for it in SQLite's busy handler means sleeping
    in steps of up to 100 ms, which starves writers under load; waiting on this lock wakes
    the next one at once. Other processes on the same file still meet the busy handler.
    Readers stay deferred: WAL runs them beside the writer.
    """

    HELD = "mock_interview_holds_write_lock"

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._lock = threading.Lock()

    def begin(self, connection: Connection) -> None:
        """Start a transaction: BEGIN IMMEDIATE for writers (after this lock), else BEGIN."""
        if not connection.get_execution_options().get(WRITE, True):
            connection.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=self.timeout_s):
            raise TimeoutError(f"waited {self.timeout_s:.0f} s for the database's write lock")
        connection.info[self.HELD] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: Connection) -> None:
        """The transaction commits or rolls back: let the next writer in."""
        if connection.info.pop(self.HELD, False):
            self._lock.release()

    @property
    def busy(self) -> bool:
        """True while a writer of this process is in its transaction."""
        return self._lock.locked()


# Each SQLite engine's writer lock, so the health probe can see a write under way.
_WRITERS: weakref.WeakKeyDictionary[Engine, _WriterLock] = weakref.WeakKeyDictionary()


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at migrations/ and at this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The config is an INI file underneath: a "%" (URL-encoded passwords) must be doubled.
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


@dataclass
class Database:
    """An engine and its session factories: one for units of work that write, one for reads."""

    engine: Engine
    sessionmaker: SessionFactory[Session]
    readonly_sessionmaker: SessionFactory[Session]

    # When a unit of work last committed something it wrote (time.monotonic()), or 0.0.
    last_write_at: float = 0.0

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Connect (without migrating)."""
        engine = create_db_engine(url)
        database = cls(
            engine=engine,
            sessionmaker=sessionmaker(engine, expire_on_commit=False),
            readonly_sessionmaker=sessionmaker(
                engine.execution_options(**{WRITE: False}), expire_on_commit=False
            ),
        )
        event.listen(database.sessionmaker, "after_flush", _note_flush)
        event.listen(database.sessionmaker, "after_commit", database._note_commit)
        return database

    def _note_commit(self, session: Session) -> None:
        # A committed write proves the database takes writes, as the health probe would.
        if session.info.pop(FLUSHED, False):
            self.last_write_at = time.monotonic()

    @property
    def writing(self) -> bool:
        """True while a unit of work of this process holds SQLite's write lock."""
        writers = _WRITERS.get(self.engine)
        return writers is not None and writers.busy

    @property
    def is_sqlite(self) -> bool:
        """True for a SQLite database (one writer at a time, no row locks)."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        factory = self.sessionmaker if write else self.readonly_sessionmaker
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
