"""Small holes of issue 10: huge ids, LLM error text, unverified LLM credit, empty API answers."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.openai_server import FakeOpenAIServer
from tests.test_grading_llm import ANSWER, QUESTION, make_grader

API = "/api/v1"
OUT_OF_RANGE = [2**63, 2**64, 10**30, -1, 0]


def _api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, through included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.16x)
            inner = prefix + route.include_context.prefix
            yield from _api_routes(route.original_router.routes, inner)


def _id_routes(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, id parameter names) of every route that takes an id in its path."""
    routes = []
    for path, route in _api_routes(app.routes):
        names = re.findall(r"\{(\w+)\}", path)
        if names and all(name.endswith("_id") for name in names):
            for method in sorted(route.methods - {"HEAD"}):
                routes.append((method, path, names))
    return routes


def test_every_route_with_an_id_answers_404_for_ids_out_of_range(
    app: FastAPI, client: TestClient
) -> None:
    routes = _id_routes(app)
    paths = {path for _, path, _ in routes}
    # The pages and the API both: interviews, turns, answers, questions, recordings, sessions.
    assert {
        "/interviews/{interview_id}/items/{item_id}",
        "/answers/{answer_id}/grade",
        "/questions/{question_id}/history",
        "/recordings/{recording_id}/audio",
        "/api/v1/sessions/{session_id}/answers",
        "/api/v1/answers/{answer_id}",
        "/api/v1/questions/{question_id}",
    } <= paths
    for method, path, names in routes:
        for bad in OUT_OF_RANGE:
            for name in names:
                url = path
                for other in names:
                    url = url.replace("{" + other + "}", str(bad if other == name else 1))
                response = client.request(method, url, json={} if "api" in path else None)
                assert response.status_code == 404, (method, url, response.status_code)
                if path.startswith(API):
                    assert response.json()["error"]["code"] == "not_found"
                else:
                    page = BeautifulSoup(response.text, "html.parser")
                    notice = page.select_one("[data-testid=error]")
                    assert notice is not None and notice["data-status"] == "404", url


def test_id_form_fields_out_of_range_are_422_or_ignored(client: TestClient) -> None:
    for field in ("question_ids", "topic_ids"):
        for bad in (2**63, -5):
            response = client.post("/interviews", data={field: str(bad), "count": "1"})
            # The form and the API body are one model: an id it cannot hold is invalid input.
            assert response.status_code == 422, (field, bad)
            notice = BeautifulSoup(response.text, "html.parser").select_one("[data-testid=error]")
            assert notice is not None
            assert f"There is no {field.split('_')[0]} {bad}." in notice.get_text()
    started = client.post("/interviews", data={"count": "1"}, follow_redirects=False)
    form_page = BeautifulSoup(client.get(started.headers["location"]).text, "html.parser")
    form = form_page.select_one("form[data-testid=answer-form]")
    assert form is not None
    answered = client.post(
        str(form["action"]),
        data={"answer": "It weighs tokens.", "recording_id": [str(2**63), "-1"]},
        follow_redirects=False,
    )
    assert answered.status_code == 303  # no recording has such an id: nothing to attach


@pytest.fixture
def llm_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def test_an_llm_error_that_echoes_the_key_is_shown_and_logged_as_status_only(
    llm_server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    echoed = (
        "invalid key; your request: POST /v1/chat/completions Authorization: Bearer sk-live-9f8e"
    )
    llm_server.enqueue_error(401, echoed, error_type="invalid_request_error")
    with caplog.at_level(logging.DEBUG):
        grade = make_grader(llm_server).grade(QUESTION, ANSWER)
    assert grade.fallback
    assert grade.fallback_reason == "status: HTTP 401 from the LLM endpoint"
    assert "sk-live" not in json.dumps(grade.to_dict())
    assert "sk-live" not in caplog.text
    assert "401" in caplog.text


def test_an_llm_grade_of_100_without_any_evidence_is_not_trusted(
    llm_server: FakeOpenAIServer,
) -> None:
    reply = {
        "key_points": [{"id": 1, "status": "covered"}, {"id": 2, "status": "covered"}],
        "score": 100,
        "feedback": "All covered.",
    }
    llm_server.enqueue_content(reply)
    grade = make_grader(llm_server).grade(QUESTION, ANSWER)
    assert grade.score == 0
    assert grade.details["model_score"] == 100
    assert grade.details["unverified_points"] == [1, 2]
    assert [kp.status for kp in grade.key_points] == ["missed", "missed"]
    assert "did not count" in grade.feedback


@pytest.mark.parametrize("empty", ["", "   ", "\n\t "])
def test_an_empty_api_answer_is_422_and_keeps_the_turn(client: TestClient, empty: str) -> None:
    session = client.post(f"{API}/sessions", json={"count": 2}).json()
    turn = session["next_item_id"]
    response = client.post(f"{API}/sessions/{session['id']}/answers", json={"answer": empty})
    assert response.status_code == 422
    assert "Write an answer" in response.json()["error"]["message"]
    after = client.get(f"{API}/sessions/{session['id']}").json()
    assert after["next_item_id"] == turn
    assert all(item["answer_ids"] == [] for item in after["items"])
    scored = client.post(f"{API}/score", json={"question_id": 1, "answer": empty})
    assert scored.status_code == 422
    batch = client.post(f"{API}/score/batch", json={"items": [{"question_id": 1, "answer": empty}]})
    assert batch.status_code == 200
    assert batch.json()["results"][0]["error"]["code"] == "invalid_request"
