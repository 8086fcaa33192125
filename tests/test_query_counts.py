"""Pages load what they show in a fixed number of queries, however many turns or attempts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

API = "/api/v1"


@contextmanager
def counted(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engine = app.state.database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _finished_session(client: TestClient, turns: int) -> int:
    """A session of `turns` questions, each answered and graded."""
    session = client.post(f"{API}/sessions", json={"count": turns, "order": "bank"}).json()
    for item in session["items"]:
        answered = client.post(
            f"{API}/sessions/{session['id']}/answers",
            json={"item_id": item["id"], "answer": "attention and embeddings", "wait": True},
        )
        assert answered.status_code == 201
    return int(session["id"])


def _attempts(client: TestClient, question_id: int, count: int) -> None:
    session = client.post(
        f"{API}/sessions", json={"question_ids": [question_id] * 1, "count": 1}
    ).json()
    item_id = session["items"][0]["id"]
    for _ in range(count):
        client.post(
            f"{API}/sessions/{session['id']}/answers",
            json={"item_id": item_id, "answer": "an attempt", "wait": True},
        )


def _queries(app: FastAPI, client: TestClient, url: str) -> int:
    with counted(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.text
    return len(statements)


@pytest.fixture
def quiet_app(app: FastAPI) -> Callable[[], None]:
    """Stops the app's grading workers, whose polling would be counted too."""
    return lambda: app.state.grading_workers.stop()


def test_session_pages_do_not_query_per_turn(
    app: FastAPI, client: TestClient, quiet_app: Callable[[], None]
) -> None:
    small, large = _finished_session(client, 2), _finished_session(client, 8)
    quiet_app()
    for url in ("/interviews/{}/summary", f"{API}/sessions/{{}}"):
        few = _queries(app, client, url.format(small))
        many = _queries(app, client, url.format(large))
        assert few == many, f"{url}: {few} queries for 2 turns, {many} for 8"


def test_history_pages_do_not_query_per_attempt(
    app: FastAPI, client: TestClient, quiet_app: Callable[[], None]
) -> None:
    questions = client.get(f"{API}/questions").json()["items"]
    first, second = questions[0]["id"], questions[1]["id"]
    _attempts(client, first, 2)
    _attempts(client, second, 8)
    quiet_app()
    few = _queries(app, client, f"/questions/{first}/history")
    many = _queries(app, client, f"/questions/{second}/history")
    assert few == many, f"question history: {few} queries for 2 attempts, {many} for 8"
    index_before = _queries(app, client, "/history")
    for question in questions[2:6]:
        _attempts_after_stop(app, client, question["id"])
    assert _queries(app, client, "/history") == index_before


def _attempts_after_stop(app: FastAPI, client: TestClient, question_id: int) -> None:
    """Answer a question while the workers are stopped (the answer waits, ungraded)."""
    session = client.post(f"{API}/sessions", json={"question_ids": [question_id], "count": 1})
    body = session.json()
    client.post(f"{API}/sessions/{body['id']}/answers", json={"answer": "later"})
