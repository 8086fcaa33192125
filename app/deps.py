"""FastAPI dependencies: the request's database session and the app's shared services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.grading.graders import GraderPool
from app.practice.workers import GradingEvents
from app.schemas import MAX_ID
from app.voice.model import Transcriber


async def get_database(request: Request) -> Database:
    """The app's database."""
    database: Database = request.app.state.database
    return database


# Methods that only read: their transactions stay deferred, so on SQLite they run beside a
# writer instead of queueing for the write lock.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the handler succeeds, rolled back on error.

    Services only flush; this is where a request's writes become durable.
    """
    database: Database = request.app.state.database
    with database.session(write=request.method not in READ_METHODS) as session:
        yield session


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_grading_events(request: Request) -> GradingEvents:
    """Where requests wait for grades this process's workers finish."""
    events: GradingEvents = request.app.state.grading_events
    return events


async def get_graders(request: Request) -> GraderPool:
    """The app's graders, built on first use."""
    graders: GraderPool = request.app.state.graders
    return graders


async def get_transcriber(request: Request) -> Transcriber:
    """The app's speech-to-text (its model loads in the background)."""
    transcriber: Transcriber = request.app.state.transcriber
    return transcriber


# "function" scope: the session commits before the response is sent, so a client that follows
# a redirect or reads right after a write always sees it.
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]
AppDatabase = Annotated[Database, Depends(get_database)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Graders = Annotated[GraderPool, Depends(get_graders)]
GradingEventsDep = Annotated[GradingEvents, Depends(get_grading_events)]
AppTranscriber = Annotated[Transcriber, Depends(get_transcriber)]
# An id in a URL: outside 1..MAX_ID it names nothing, and both the pages and the API answer
# 404 for it (a larger number would not even fit the database's 64-bit integers).
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
