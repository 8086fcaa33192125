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
