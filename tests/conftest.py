"""Shared fixtures: a fresh SQLite file and app per test, with fake graders injected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.startup import open_database
from tests.fakes import FAKE_GRADERS

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DAY1 = Path(__file__).resolve().parents[1] / "app" / "material" / "default" / "day1.txt"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: its own SQLite file, the fake grader, no model warm-up."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        grader="fake",
        embedding_warmup=False,
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
    """A client with the app's lifespan running."""
    with TestClient(app) as test_client:
        yield test_client
