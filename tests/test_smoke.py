"""The app starts on a fresh database and shows day 1's questions."""

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient


def test_home_lists_day1_questions(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/").text, "html.parser")
    assert len(page.select("[data-testid=question]")) == 8
    assert len(page.select("[data-testid=part]")) == 2


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["database"]["ok"] is True
    assert body["grader"]["name"] == "fake"


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
    assert "Content-Security-Policy" not in client.get("/docs").headers


def test_healthz_is_503_when_the_database_is_unreachable(client: TestClient) -> None:
    from sqlalchemy import create_engine

    client.app.state.database.engine = create_engine("sqlite:////nonexistent-dir/x.db")  # type: ignore[attr-defined]
    for path in ("/healthz", "/api/v1/healthz"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json()["status"] == "degraded"
        assert response.json()["database"]["ok"] is False
