"""FastAPI dependencies: the request's database session and the app's shared services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.grading.graders import GraderPool


async def get_database(request: Request) -> Database:
    """The app's database."""
    database: Database = request.app.state.database
    return database


def get_db_session(request: Request) -> Iterator[Session]:
    """A session per request: committed when the handler succeeds, rolled back on error."""
    database: Database = request.app.state.database
    with database.session() as session:
        yield session


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_graders(request: Request) -> GraderPool:
    """The app's graders, built on first use."""
    graders: GraderPool = request.app.state.graders
    return graders


# "function" scope: the session commits before the response is sent, so a client that follows
# a redirect or reads right after a write always sees it.
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]
AppDatabase = Annotated[Database, Depends(get_database)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Graders = Annotated[GraderPool, Depends(get_graders)]
