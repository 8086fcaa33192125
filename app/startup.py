"""Opening the database the way the app and every CLI command do: migrate, then seed."""

from __future__ import annotations

import logging
from importlib import resources

from sqlalchemy import func, select

from app.config import Settings
from app.db import Database, upgrade_database
from app.material.importer import ImportReport, import_notes_text
from app.models import Question

log = logging.getLogger(__name__)

DEFAULT_NOTES = "day1.txt"


def open_database(settings: Settings) -> Database:
    """Connect, apply migrations, and load the shipped day-1 notes into an empty bank."""
    database = Database.from_url(settings.resolved_database_url)
    upgrade_database(database.engine)
    if settings.load_default_material:
        report = seed_default_material(database)
        if report is not None:
            log.info("loaded default notes: %s", report.summary())
    return database


def seed_default_material(database: Database) -> ImportReport | None:
    """Import the shipped notes when the bank has no question at all; None when it has some."""
    with database.session() as session:
        if session.scalar(select(func.count()).select_from(Question)):
            return None
        text = resources.files("app.material").joinpath("default", DEFAULT_NOTES).read_text("utf-8")
        return import_notes_text(session=session, text=text, name=DEFAULT_NOTES)
