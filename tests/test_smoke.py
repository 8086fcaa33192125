"""The app starts on a fresh database and shows day 1's questions."""

import sqlite3
from pathlib import Path

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.db import Database


def test_home_lists_day1_questions(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/").text, "html.parser")
    assert len(page.select("[data-testid=question]")) == 8
    assert len(page.select("[data-testid=part]")) == 2


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["database"] == {"ok": True, "writable": True}
    assert body["grader"]["name"] == "fake"
    assert body["grading"] == {"pending": 0, "running": 0, "workers_alive": 1}


def test_security_headers_on_pages_api_and_early_errors(client: TestClient) -> None:
    too_large = client.post(
        "/api/v1/score",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "999999999"},
    )
    assert too_large.status_code == 413
    for response in (client.get("/"), client.get("/api/v1/topics"), too_large):
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in client.get("/docs").headers["Content-Security-Policy"]


def test_healthz_is_503_when_the_database_is_unreachable(client: TestClient) -> None:
    # Nothing listens on port 9; the app must say so rather than "ok".
    client.app.state.database = Database.from_url("postgresql+psycopg://u:p@127.0.0.1:9/x")  # type: ignore[attr-defined]
    client.app.state.database_probe = None  # type: ignore[attr-defined]
    for path in ("/healthz", "/api/v1/healthz"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json()["status"] == "degraded"
        assert response.json()["database"]["ok"] is False


def test_healthz_is_degraded_when_the_database_takes_no_writes(
    client: TestClient, tmp_path: Path
) -> None:
    assert client.get("/healthz").json()["database"] == {"ok": True, "writable": True}
    # A database that can be read but not written (as a read-only file or a full disk is).
    path = tmp_path / "readonly.db"
    sqlite3.connect(path).close()
    readonly = Database.from_url(f"sqlite:///file:{path}?mode=ro&uri=true")
    client.app.state.database = readonly  # type: ignore[attr-defined]
    client.app.state.database_probe = None  # type: ignore[attr-defined]
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["database"]["writable"] is False
    assert "readonly" in body["reason"]
    readonly.dispose()
