"""Shared fixtures: a fresh database and app per test, with fake graders injected.

The database is a SQLite file under tmp_path; with TEST_DATABASE_URL set to a PostgreSQL
server (as `.ci/run` does in its second pass) it is a new database on that server instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.startup import open_database
from tests.fakes import FAKE_GRADERS
from tests.web_client import TEST_HOST, PageClient

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DAY1 = Path(__file__).resolve().parents[1] / "app" / "material" / "default" / "day1.txt"


POSTGRES_URL = os.environ.get("TEST_DATABASE_URL") or None


def on_postgres() -> bool:
    """True when this run's databases are on PostgreSQL."""
    return POSTGRES_URL is not None


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of this test's own: a SQLite file, or a PostgreSQL database."""
    if POSTGRES_URL is None:
        yield f"sqlite:///{tmp_path / 'data' / 'mock_interview.db'}"
        return
    server = make_url(POSTGRES_URL)
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own database, the fake grader, no model warm-up."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database_url,
        grader="fake",
        embedding_warmup=False,
        # TestClient's Host; the default list (loopback names) stays what users get.
        trusted_hosts=[TEST_HOST],
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The test's database, migrated and seeded with day 1."""
    db = open_database(settings)
    yield db
    db.dispose()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """An app built from the test's settings."""
    return create_app(settings, graders=FAKE_GRADERS)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client with the app's lifespan running, sending the pages' CSRF token like htmx."""
    with PageClient(app) as test_client:
        yield test_client
