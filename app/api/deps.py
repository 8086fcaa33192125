"""Async twins of app.deps for the API's hot paths.

FastAPI runs every plain `def` dependency in the thread pool, and a hop there costs a few
hundred microseconds on a busy two-core machine. Reading app.state needs no thread, so the
scoring routes take these instead, and do their blocking work (database and grader) in one
hop of their own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.api.scoring import BankQuestions
from app.config import Settings
from app.db import Database
from app.grading.graders import GraderPool


async def api_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def api_graders(request: Request) -> GraderPool:
    """The app's graders."""
    graders: GraderPool = request.app.state.graders
    return graders


async def api_database(request: Request) -> Database:
    """The app's database (open a session with `database.session()` in a worker thread)."""
    database: Database = request.app.state.database
    return database


async def api_questions(request: Request) -> BankQuestions:
    """The app's cache of bank questions for scoring."""
    questions: BankQuestions = request.app.state.api_questions
    return questions


ApiSettings = Annotated[Settings, Depends(api_settings)]
ApiGraders = Annotated[GraderPool, Depends(api_graders)]
ApiDatabase = Annotated[Database, Depends(api_database)]
ApiQuestions = Annotated[BankQuestions, Depends(api_questions)]
