"""Opening the database the way the app and every CLI command do: migrate, then seed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from sqlalchemy import func, select, text

from app.accounts.users import ensure_local_user
from app.config import Settings
from app.db import Database, upgrade_database
from app.material.importer import ImportReport, import_notes_text
from app.models import Question

log = logging.getLogger(__name__)

DEFAULT_NOTES = "day1.txt"


# Any constant: PostgreSQL advisory lock taken while one process migrates and seeds.
MIGRATION_LOCK_ID = 7_432_001


def open_database(settings: Settings) -> Database:
    """Connect, apply migrations, create the local user on an empty instance and load the
    day-1 notes (the first user's bank, published) into an empty bank."""
    database = Database.from_url(settings.resolved_database_url)
    with _one_process_at_a_time(database):
        upgrade_database(database.engine)
        with database.session() as session:
            # Created here, so a page that reads never has to write it on first use; it owns
            # the shipped notes and is the user a first `user create` claims.
            ensure_local_user(session=session)
        if settings.load_default_material:
            report = seed_default_material(database)
            if report is not None:
                log.info("loaded default notes: %s", report.summary())
    return database


@contextmanager
def _one_process_at_a_time(database: Database) -> Iterator[None]:
    """Serialise start-up across processes sharing one PostgreSQL database (replicas, workers)."""
    if database.is_sqlite:
        # SQLite's migrations and seeding run in BEGIN IMMEDIATE transactions already.
        yield
        return
    with database.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()


def seed_default_material(database: Database) -> ImportReport | None:
    """Import the shipped notes when the bank has no question at all; None when it has some."""
    with database.session() as session:
        if session.scalar(select(func.count()).select_from(Question)):
            return None
        owner = ensure_local_user(session=session)
        text = resources.files("app.material").joinpath("default", DEFAULT_NOTES).read_text("utf-8")
        return import_notes_text(
            session=session, text=text, name=DEFAULT_NOTES, user_id=owner.id, publish=True
        )
