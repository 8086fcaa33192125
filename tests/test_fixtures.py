"""The test fixtures themselves: what a developer's shell exports never reaches a test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import pinned_settings
from tests.fakes import FAKE_GRADERS

LEAKS = {
    "DATABASE_URL": "sqlite:////nonexistent/leaked.db",
    "API_KEYS_REQUIRED": "true",
    "GRADER": "llm",
    "MAX_ANSWER_CHARS": "150",
    "DATA_DIR": "/nonexistent/leaked",
}


@pytest.fixture
def leaky_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A shell that exports settings, and a .env file in the working directory."""
    for name, value in LEAKS.items():
        monkeypatch.setenv(name, value)
    (tmp_path / ".env").write_text("GRADER=llm\nAPI_KEYS_REQUIRED=true\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    yield


def test_the_environment_does_leak_into_plain_settings(leaky_env: None) -> None:
    # The leak is real: without pinning, these would reach the app.
    leaked = Settings()
    assert leaked.database_url == LEAKS["DATABASE_URL"]
    assert leaked.api_keys_required is True


def test_pinned_settings_ignore_the_environment(leaky_env: None, tmp_path: Path) -> None:
    pinned = pinned_settings(data_dir=tmp_path / "data", grader="fake")
    assert pinned.database_url is None
    assert pinned.api_keys_required == Settings.model_fields["api_keys_required"].default
    assert pinned.max_answer_chars == Settings.model_fields["max_answer_chars"].default
    assert pinned.data_dir == tmp_path / "data"
    assert pinned.grader == "fake"


def test_every_setting_of_the_fixture_is_pinned(leaky_env: None, settings: Settings) -> None:
    assert settings.database_url != LEAKS["DATABASE_URL"]
    assert settings.api_keys_required is not True
    assert str(settings.data_dir) != LEAKS["DATA_DIR"]
    # The app built from the fixture answers the API without a key.
    with TestClient(create_app(settings, graders=FAKE_GRADERS)) as client:
        assert client.get("/api/v1/questions").status_code == 200
