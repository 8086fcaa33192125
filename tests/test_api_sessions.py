"""Contract tests: practice sessions, answers and grades over /api/v1."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1"


def _start(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/sessions", json=body)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


def test_create_session_with_topics_count_and_order(client: TestClient) -> None:
    topics = client.get(f"{API}/topics").json()["items"]
    chosen = [t["id"] for t in topics if t["question_count"]][:3]
    session = _start(client, topic_ids=chosen, count=2, order="bank")
    assert len(session["items"]) == 2
    bank = client.get(f"{API}/questions").json()["items"]
    expected = [q["id"] for q in bank if q["topic_id"] in chosen][:2]
    assert [item["question_id"] for item in session["items"]] == expected
    assert session["next_item_id"] == session["items"][0]["id"]
    assert session["finished_at"] is None and session["average"] is None
    assert all(item["prompt"] and item["answer_ids"] == [] for item in session["items"])
    assert client.get(f"{API}/sessions/{session['id']}").json() == session


def test_create_session_with_a_seed_is_repeatable(client: TestClient) -> None:
    first = _start(client, count=5, order="random", seed=7)
    second = _start(client, count=5, order="random", seed=7)
    assert [i["question_id"] for i in first["items"]] == [i["question_id"] for i in second["items"]]


def test_create_session_errors(client: TestClient) -> None:
    no_match = client.post(f"{API}/sessions", json={"topic_ids": [9999]})
    assert no_match.status_code == 422
    assert no_match.json()["error"]["code"] == "invalid_request"
    for body in ({"count": 0}, {"count": 51}, {"order": "alphabetical"}, {"topic_ids": "1"}):
        response = client.post(f"{API}/sessions", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_error"


def test_answer_is_stored_graded_and_returned(client: TestClient) -> None:
    session = _start(client, count=2, order="bank")
    first, second = session["items"]
    question = client.get(f"{API}/questions/{first['question_id']}").json()
    response = client.post(
        f"{API}/sessions/{session['id']}/answers",
        json={"answer": question["reference_answer"], "time_taken_ms": 1234, "wait": True},
    )
    assert response.status_code == 201
    body = response.json()
    answer, grade = body["answer"], body["grade"]
    assert answer["item_id"] == first["id"] and answer["session_id"] == session["id"]
    assert answer["text"] == question["reference_answer"] and answer["time_taken_ms"] == 1234
    assert grade["grader"] == "fake-overlap" and grade["verdict"] == "correct"
    assert answer["grade"] == grade and answer["grades"] == [grade]
    assert body["grading"]["state"] == "done" and body["grading"]["attempts"] == 1
    assert body["next_item_id"] == second["id"] and body["session_finished"] is False

    assert client.get(f"{API}/answers/{answer['id']}").json() == answer
    state = client.get(f"{API}/sessions/{session['id']}").json()
    assert state["items"][0]["answer_ids"] == [answer["id"]]
    assert state["items"][0]["score"] == grade["score"]
    assert state["next_item_id"] == second["id"]

    last = client.post(
        f"{API}/sessions/{session['id']}/answers",
        json={"answer": "no idea", "item_id": second["id"]},
    ).json()
    assert last["session_finished"] is True and last["next_item_id"] is None
    finished = client.get(f"{API}/sessions/{session['id']}").json()
    assert finished["finished_at"] is not None
    done = client.post(f"{API}/sessions/{session['id']}/answers", json={"answer": "more"})
    assert done.status_code == 409 and done.json()["error"]["code"] == "session_finished"


def test_a_stored_grade_reads_as_the_same_answer_scored_without_storing(
    client: TestClient,
) -> None:
    session = _start(client, count=1, order="bank")
    question = client.get(f"{API}/questions/{session['items'][0]['question_id']}").json()
    answer = question["reference_answer"].split(".")[0]
    stored = client.post(
        f"{API}/sessions/{session['id']}/answers", json={"answer": answer, "wait": True}
    ).json()["grade"]
    scored = client.post(f"{API}/score", json={"question_id": question["id"], "answer": answer})
    fresh = scored.json()
    assert {"id", "created_at"} <= stored.keys() and fresh["question_id"] == question["id"]
    assert len({p["status"] for p in fresh["key_points"]}) > 1  # a grade with some to compare
    # Stored grades keep one decimal; elapsed time differs from run to run.
    assert stored["score"] == round(fresh["score"], 1)
    shared = set(stored) & set(fresh) - {"score", "elapsed_ms"}
    assert shared == set(fresh) - {"question_id", "score", "elapsed_ms"}
    assert {k: stored[k] for k in shared} == {k: fresh[k] for k in shared}


def test_answer_comes_back_at_once_with_a_link_to_poll(client: TestClient) -> None:
    session = _start(client, count=1)
    response = client.post(f"{API}/sessions/{session['id']}/answers", json={"answer": "attention"})
    # Accepted at once; graded by a worker. The link says where the grade will be.
    assert response.status_code in (201, 202)
    body = response.json()
    poll = body["grading"]["poll"]
    assert response.headers["location"] == poll == f"{API}/answers/{body['answer']['id']}"
    if response.status_code == 202:
        assert body["grade"] is None
        assert body["grading"]["state"] in ("pending", "running")
    polled = client.get(poll, params={"wait": 10}).json()
    assert polled["grading"]["state"] == "done" and polled["grade"]["grader"] == "fake-overlap"


def test_grader_failure_keeps_the_answer(client: TestClient) -> None:
    session = _start(client, count=1)
    response = client.post(
        f"{API}/sessions/{session['id']}/answers",
        json={"answer": "kept", "grader": "failing", "wait": True},
    )
    assert response.status_code == 202
    body = response.json()
    assert body["grade"] is None
    assert body["grading"]["state"] == "failed" and body["grading"]["attempts"] == 3
    assert "GradingError" in body["answer"]["grading_error"]
    stored = client.get(f"{API}/answers/{body['answer']['id']}").json()
    assert stored["text"] == "kept" and stored["grade"] is None and stored["grading_error"]


def test_a_repeated_idempotency_key_returns_the_first_answer(client: TestClient) -> None:
    session = _start(client, count=2)
    url = f"{API}/sessions/{session['id']}/answers"
    key = {"Idempotency-Key": "retry-1"}
    first = client.post(url, json={"answer": "once", "wait": True}, headers=key).json()
    again = client.post(url, json={"answer": "once", "wait": True}, headers=key).json()
    assert again["answer"]["id"] == first["answer"]["id"]
    assert again["grade"] == first["grade"] and again["grade"] is not None
    state = client.get(f"{API}/sessions/{session['id']}").json()
    assert [item["answer_ids"] for item in state["items"]] == [[first["answer"]["id"]], []]
    other = client.post(url, json={"answer": "twice"}, headers={"Idempotency-Key": "retry-2"})
    assert other.json()["answer"]["id"] != first["answer"]["id"]


def test_answer_errors(client: TestClient) -> None:
    session = _start(client, count=1)
    url = f"{API}/sessions/{session['id']}/answers"
    missing_session = client.post(f"{API}/sessions/99999/answers", json={"answer": "x"})
    assert missing_session.status_code == 404
    assert missing_session.json()["error"]["code"] == "not_found"
    missing_item = client.post(url, json={"answer": "x", "item_id": 99999})
    assert missing_item.status_code == 404
    too_long = client.post(url, json={"answer": "a" * 20_001})
    assert too_long.status_code == 413 and too_long.json()["error"]["code"] == "answer_too_long"
    unknown_grader = client.post(url, json={"answer": "x", "grader": "nope"})
    assert unknown_grader.status_code == 422
    assert "fake" in unknown_grader.json()["error"]["details"]["known_graders"]
    invalid = client.post(url, json={"text": "x"})
    assert invalid.status_code == 422
    # None of the refused answers was stored.
    assert client.get(f"{API}/sessions/{session['id']}").json()["items"][0]["answer_ids"] == []
    assert client.get(f"{API}/sessions/99999").status_code == 404
    assert client.get(f"{API}/answers/99999").json()["error"]["code"] == "not_found"


def test_time_limit_is_10_to_3600_seconds_as_on_the_home_page(client: TestClient) -> None:
    for seconds in (5, 3601):
        response = client.post(f"{API}/sessions", json={"time_limit_s": seconds})
        assert response.status_code == 422, seconds
        assert response.json()["error"]["code"] == "validation_error"
    assert _start(client, count=1, time_limit_s=3600)["config"]["time_limit_s"] == 3600
    # The schema says so too, in the keywords clients and schemathesis read.
    options = client.get("/openapi.json").json()["components"]["schemas"]["InterviewOptions"]
    (integer,) = [c for c in options["properties"]["time_limit_s"]["anyOf"] if c["type"] != "null"]
    assert (integer["minimum"], integer["maximum"]) == (10, 3600)
