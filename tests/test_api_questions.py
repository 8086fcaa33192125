"""Contract tests: the question bank over /api/v1, and health."""

from __future__ import annotations

from fastapi.testclient import TestClient

API = "/api/v1"


def test_topics_list_every_topic_with_counts(client: TestClient) -> None:
    body = client.get(f"{API}/topics").json()
    topics = body["items"]
    assert len(topics) >= 2
    assert sum(t["question_count"] for t in topics) == 8
    assert {"id", "title", "part", "part_number", "source"} <= topics[0].keys()


def test_questions_page_and_total(client: TestClient) -> None:
    first = client.get(f"{API}/questions", params={"limit": 3}).json()
    second = client.get(f"{API}/questions", params={"limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"] == 8
    assert len(first["items"]) == len(second["items"]) == 3
    assert {q["id"] for q in first["items"]}.isdisjoint(q["id"] for q in second["items"])
    beyond = client.get(f"{API}/questions", params={"offset": 100}).json()
    assert beyond["items"] == [] and beyond["total"] == 8


def test_questions_filter_by_part_topic_and_text(client: TestClient) -> None:
    everything = client.get(f"{API}/questions").json()["items"]
    part_two = [q for q in everything if q["part_number"] == 2]
    by_part = client.get(f"{API}/questions", params={"part": "2"}).json()
    assert by_part["total"] == len(part_two) > 0
    assert all(q["part_number"] == 2 for q in by_part["items"])

    topic = everything[0]
    by_topic = client.get(f"{API}/questions", params={"topic": str(topic["topic_id"])}).json()
    assert by_topic["items"] and all(q["topic_id"] == topic["topic_id"] for q in by_topic["items"])

    found = client.get(f"{API}/questions", params={"search": "transformer"}).json()
    assert found["total"] >= 1
    assert all("transformer" in (q["question"] + q["topic"]).lower() for q in found["items"])
    none = client.get(f"{API}/questions", params={"search": "zzz-no-such-text"}).json()
    assert none == {"total": 0, "limit": 50, "offset": 0, "items": []}


def test_question_by_id_has_key_points(client: TestClient) -> None:
    question_id = client.get(f"{API}/questions").json()["items"][0]["id"]
    question = client.get(f"{API}/questions/{question_id}").json()
    assert question["id"] == question_id
    assert question["reference_answer"]
    assert question["key_points"] and all(isinstance(p, str) for p in question["key_points"])


def test_unknown_question_is_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get(f"{API}/questions/99999")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no question 99999", "details": None}
    }


def test_bad_query_parameters_are_422(client: TestClient) -> None:
    for params in ({"offset": -1}, {"limit": 0}, {"limit": 10_000}, {"offset": "x"}):
        response = client.get(f"{API}/questions", params=params)
        assert response.status_code == 422, params
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"][0]["loc"][0] == "query"


def test_out_of_range_ids_are_404_not_500(client: TestClient) -> None:
    # An id in the URL that is no id names nothing (issue 10); in a body it is a 422.
    for path in ("questions/0", "questions/-1", f"questions/{10**30}", "questions/abc"):
        response = client.get(f"{API}/{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    body = client.post(f"{API}/score", json={"question_id": 2**63, "answer": "x"})
    assert body.status_code == 422


def test_api_healthz_matches_healthz(client: TestClient) -> None:
    api = client.get(f"{API}/healthz")
    plain = client.get("/healthz")
    assert api.status_code == plain.status_code == 200
    assert api.json() == plain.json()
    assert api.json()["database"]["ok"] is True
    assert api.json()["grader"]["name"] == "fake"
    assert api.json()["status"] in ("ok", "warming_up")


def test_a_huge_number_as_topic_or_part_filter_matches_nothing(client: TestClient) -> None:
    for name in ("topic", "part"):
        response = client.get("/api/v1/questions", params={name: "9223372036854775808"})
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 0
