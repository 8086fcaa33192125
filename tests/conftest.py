"""Shared fixtures: a fresh database and app per test, with fake graders injected.

The database is a SQLite file under tmp_path; with TEST_DATABASE_URL set to a PostgreSQL
server (as `.ci/run` does in its second pass) it is a new database on that server instead.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis.configuration import set_hypothesis_home_dir
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

# Hypothesis (through schemathesis) keeps its example database and caches under .hypothesis/
# in the working directory; the tests keep them in a temporary folder instead.
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="mi-hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)
set_hypothesis_home_dir(_HYPOTHESIS_HOME)

CHECKOUT = Path(__file__).resolve().parents[1]
# What tools make beside any run (bytecode, pytest's own cache): not the tests' doing.
_TOOL_LEFTOVERS = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")


def _files_outside_git(root: Path) -> set[str] | None:
    """Untracked and ignored paths of the checkout; None when it is not a git checkout."""
    try:
        listed = subprocess.run(
            ["git", "status", "--porcelain", "--ignored", "--untracked-files=normal"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths = {line[3:] for line in listed.splitlines() if line[:2] in ("??", "!!")}
    # A screenshot folder asked for by name (.ci/run keeps them in artifacts/) is allowed.
    asked = os.environ.get("SCREENSHOT_DIR")
    allowed = Path(asked).resolve() if asked else None
    return {
        p
        for p in paths
        if not any(part in _TOOL_LEFTOVERS for part in Path(p).parts)
        and not (allowed and (allowed == (root / p).resolve() or root / p in allowed.parents))
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note what is already outside git in the checkout before any test runs."""
    session.config.stash[_BEFORE] = _files_outside_git(CHECKOUT)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when the tests wrote files into the checkout (they belong under tmp)."""
    before = session.config.stash.get(_BEFORE, None)
    after = _files_outside_git(CHECKOUT)
    if before is None or after is None:
        return
    written = sorted(after - before)
    if written:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "tests wrote into the checkout: " + ", ".join(written)
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_BEFORE = pytest.StashKey[set[str] | None]()


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


def pinned_settings(**overrides: Any) -> Settings:
    """Settings from the code's defaults and `overrides` alone.

    Every field is passed explicitly, and explicit values win over the environment and any
    `.env` file: an exported DATABASE_URL or API_KEYS_REQUIRED never reaches a test.
    """
    defaults = {
        name: field.get_default(call_default_factory=True)
        for name, field in Settings.model_fields.items()
    }
    return Settings(_env_file=None, **(defaults | overrides))  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own database, the fake grader, no model warm-up."""
    return pinned_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        grader="fake",
        embedding_warmup=False,
        upload_warmup=False,
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
