"""Contract tests: stateless scoring, single and batch, and the LLM fallback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.grading.llm import LLMGrader
from app.grading.registry import GraderFactory
from app.main import create_app
from tests.conftest import pinned_settings
from tests.fakes import FAKE_GRADERS, OverlapGrader
from tests.openai_server import FakeOpenAIServer
from tests.web_client import TEST_HOST, PageClient

API = "/api/v1"
DROPOUT = {
    "question": "What does dropout do?",
    "reference_answer": "Dropout zeroes random activations during training.",
    "key_points": [
        "Dropout zeroes random activations during training",
        "It regularises the network against overfitting",
    ],
}


def _question(client: TestClient) -> dict[str, Any]:
    first = client.get(f"{API}/questions").json()["items"][0]
    question: dict[str, Any] = client.get(f"{API}/questions/{first['id']}").json()
    return question


def _tables(client: TestClient) -> dict[str, int]:
    from sqlalchemy import text

    with client.app.state.database.engine.connect() as connection:  # type: ignore[attr-defined]
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("answer", "grade", "practice_session")
        }


def test_score_bank_question_returns_the_grade_and_stores_nothing(client: TestClient) -> None:
    question = _question(client)
    before = _tables(client)
    answer = question["reference_answer"]
    response = client.post(f"{API}/score", json={"question_id": question["id"], "answer": answer})
    assert response.status_code == 200
    grade = response.json()
    assert grade["question_id"] == question["id"]
    assert grade["grader"] == "fake-overlap" and grade["grader_version"] == "1"
    assert grade["score"] >= 70 and grade["verdict"] == "correct"
    assert [p["point"] for p in grade["key_points"]] == question["key_points"]
    assert grade["fallback"] is False and grade["fallback_reason"] is None
    assert isinstance(grade["feedback"], str)
    assert _tables(client) == before


def test_score_sees_a_question_changed_by_a_reimport(client: TestClient) -> None:
    from app.models import Question, StoredKeyPoint

    body = {"question_id": 1, "answer": "Gradient clipping caps the norm of the gradient."}
    before = client.post(f"{API}/score", json=body).json()
    with client.app.state.database.session() as session:  # type: ignore[attr-defined]
        question = session.get(Question, 1)
        assert question is not None
        question.reference_answer = "Gradient clipping caps the norm of the gradient."
        question.content_hash = "changed"
        question.key_points = []
        session.flush()  # the old points go before the new one takes position 0
        question.key_points = [StoredKeyPoint(position=0, text="Clipping caps the gradient norm")]
    after = client.post(f"{API}/score", json=body).json()
    assert [p["point"] for p in after["key_points"]] == ["Clipping caps the gradient norm"]
    assert after["score"] > before["score"]


def test_score_own_question(client: TestClient) -> None:
    good = client.post(
        f"{API}/score", json={**DROPOUT, "answer": "Dropout zeroes random activations."}
    )
    bad = client.post(f"{API}/score", json={**DROPOUT, "answer": "No idea, sorry."})
    assert good.status_code == bad.status_code == 200
    assert good.json()["question_id"] is None
    assert good.json()["score"] > bad.json()["score"]
    assert [p["point"] for p in good.json()["key_points"]] == DROPOUT["key_points"]


def test_score_unknown_question_is_404(client: TestClient) -> None:
    response = client.post(f"{API}/score", json={"question_id": 99999, "answer": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_score_answer_over_the_limit_is_413(client: TestClient) -> None:
    question = _question(client)
    at_limit = client.post(
        f"{API}/score", json={"question_id": question["id"], "answer": "a" * 20_000}
    )
    over = client.post(f"{API}/score", json={"question_id": question["id"], "answer": "a" * 20_001})
    assert at_limit.status_code == 200
    assert over.status_code == 413
    assert over.json()["error"]["code"] == "answer_too_long"
    assert "20,000" in over.json()["error"]["message"]


def test_score_unknown_grader_is_422_with_known_graders(client: TestClient) -> None:
    response = client.post(
        f"{API}/score", json={"question_id": 1, "answer": "x", "grader": "no-such-grader"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unknown_grader"
    assert {"fake", "embedding", "llm"} <= set(error["details"]["known_graders"])


def test_score_grader_failure_is_503_not_500(client: TestClient) -> None:
    response = client.post(
        f"{API}/score", json={"question_id": 1, "answer": "x", "grader": "failing"}
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "grading_failed"


def test_a_grader_that_cannot_be_built_is_503(settings: Settings) -> None:
    def broken(_settings: Settings) -> Any:
        raise RuntimeError("model files missing")

    body = {"question_id": 1, "answer": "x", "grader": "broken"}
    with PageClient(create_app(settings, graders={**FAKE_GRADERS, "broken": broken})) as client:
        response = client.post(f"{API}/score", json=body)
        batch = client.post(
            f"{API}/score/batch", json={"items": [body, {**body, "grader": "fake"}]}
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "grader_unavailable"
    results = batch.json()["results"]
    assert results[0]["error"]["code"] == "grader_unavailable" and results[1]["ok"] is True
    session_id = client.post(f"{API}/sessions", json={"count": 1}).json()["id"]
    url = f"{API}/sessions/{session_id}/answers"
    answer = client.post(url, json={"answer": "x", "grader": "broken"})
    assert answer.status_code == 503
    assert _tables(client)["answer"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"answer": "x"},
        {"question_id": 1},
        {"question": "q"},
        {"question_id": 1, "answer": "x", "question": "q", "reference_answer": "r"},
        {"question_id": "one", "answer": "x"},
        {"question_id": 1, "answer": 5},
        {"question_id": 1, "answer": "x", "unknown": True},
        [],
        "text",
        None,
    ],
)
def test_score_invalid_shapes_are_422(client: TestClient, body: Any) -> None:
    response = client.post(f"{API}/score", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["message"] and error["details"]


def test_batch_grades_valid_items_and_reports_bad_ones_in_place(client: TestClient) -> None:
    question = _question(client)
    items: list[Any] = [
        {"question_id": question["id"], "answer": question["reference_answer"]},
        {"question_id": 99999, "answer": "unknown question"},
        {**DROPOUT, "answer": "Dropout zeroes random activations."},
        {"question_id": question["id"], "answer": "a" * 20_001},
        {"question_id": question["id"]},
        42,
        {"question_id": question["id"], "answer": "x", "grader": "no-such-grader"},
        {"question_id": question["id"], "answer": "nothing relevant"},
    ]
    response = client.post(f"{API}/score/batch", json={"items": items})
    assert response.status_code == 200
    body = response.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["ok"] for r in results] == [True, False, True, False, False, False, False, True]
    assert body["graded"] == 3 and body["failed"] == 5
    codes = {r["index"]: r["error"]["code"] for r in results if not r["ok"]}
    assert codes == {
        1: "not_found",
        3: "answer_too_long",
        4: "validation_error",
        5: "validation_error",
        6: "unknown_grader",
    }
    assert all(r["grade"] is None for r in results if not r["ok"])
    # Each graded item gets the same grade it would get alone, in its own place.
    for index in (0, 2, 7):
        alone = client.post(f"{API}/score", json=items[index]).json()
        assert results[index]["grade"] == {
            **alone,
            "elapsed_ms": results[index]["grade"]["elapsed_ms"],
        }
    assert results[0]["grade"]["score"] > results[7]["grade"]["score"]


def test_batch_uses_one_grade_batch_call_per_grader(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = OverlapGrader.grade_batch

    def counting(self: OverlapGrader, items: Any) -> Any:
        calls.append(len(items))
        return original(self, items)

    monkeypatch.setattr(OverlapGrader, "grade_batch", counting)
    items = [{"question_id": 1, "answer": f"answer {i}"} for i in range(10)]
    items += [{**DROPOUT, "answer": "dropout", "grader": "fake"}]
    response = client.post(f"{API}/score/batch", json={"items": items})
    assert response.status_code == 200
    assert calls == [11]


def test_batch_with_a_failing_grader_fails_only_its_items(client: TestClient) -> None:
    items = [
        {"question_id": 1, "answer": "fine"},
        {"question_id": 1, "answer": "breaks", "grader": "failing"},
    ]
    results = client.post(f"{API}/score/batch", json={"items": items}).json()["results"]
    assert results[0]["ok"] is True
    assert results[1]["ok"] is False and results[1]["error"]["code"] == "grading_failed"


def test_batch_limits(client: TestClient) -> None:
    item = {"question_id": 1, "answer": "x"}
    full = client.post(f"{API}/score/batch", json={"items": [item] * 256})
    assert full.status_code == 200 and full.json()["graded"] == 256
    over = client.post(f"{API}/score/batch", json={"items": [item] * 257})
    assert over.status_code == 413
    assert over.json()["error"]["code"] == "batch_too_large"
    assert over.json()["error"]["details"] == {"max_items": 256}
    empty = client.post(f"{API}/score/batch", json={"items": []})
    assert empty.status_code == 422
    not_a_list = client.post(f"{API}/score/batch", json={"items": {"question_id": 1}})
    assert not_a_list.status_code == 422


@pytest.fixture
def llm_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def test_llm_grader_falls_back_and_says_so(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, llm_server: FakeOpenAIServer
) -> None:
    settings = pinned_settings(
        data_dir=tmp_path / "data",
        grader="fake",
        embedding_warmup=False,
        openai_base_url=llm_server.base_url,
        llm_max_retries=0,
        trusted_hosts=[TEST_HOST],
    )
    # The real LLM grader and `openai` client, with the fake offline grader behind it.
    graders: dict[str, GraderFactory] = {
        **FAKE_GRADERS,
        "llm": lambda s: LLMGrader.from_settings(s, fallback=OverlapGrader()),
    }
    for _ in range(4):
        llm_server.enqueue_error(500, "model crashed")
    with PageClient(create_app(settings, graders=graders)) as client:
        one = client.post(
            f"{API}/score", json={**DROPOUT, "answer": "Dropout zeroes units.", "grader": "llm"}
        )
        batch = client.post(
            f"{API}/score/batch",
            json={"items": [{"question_id": 1, "answer": "attention", "grader": "llm"}]},
        )
    assert one.status_code == 200
    grade = one.json()
    assert grade["fallback"] is True
    assert "HTTP 500" in grade["fallback_reason"]
    assert grade["grader"] == "fake-overlap"  # the offline grader that did the grading
    assert llm_server.completion_requests, "the LLM endpoint was asked first"
    batch_grade = batch.json()["results"][0]["grade"]
    assert batch_grade["fallback"] is True and batch_grade["fallback_reason"]


def test_score_own_question_against_several_references(client: TestClient) -> None:
    body = {
        **DROPOUT,
        "key_points": None,
        "reference_answers": ["Units are randomly switched off while the net is trained."],
        "answer": "Random units are switched off while the net is being trained.",
    }
    several = client.post(f"{API}/score", json=body)
    first_only = client.post(f"{API}/score", json={**body, "reference_answers": None})
    assert several.status_code == first_only.status_code == 200
    assert first_only.json()["reference"] == 0 and first_only.json()["verdict"] == "incorrect"
    assert several.json()["reference"] == 1 and several.json()["verdict"] == "correct"
    assert several.json()["decided_by_examples"] is False

    too_many = client.post(f"{API}/score", json={**body, "reference_answers": ["r"] * 21})
    assert too_many.status_code == 422


def _override_first_question(client: TestClient, text: str, score: float) -> str:
    """The local user answers bank question 1 with `text` and overrides its grade; its text."""
    from app.accounts.users import ensure_local_user
    from app.models import Answer, Question
    from app.practice.examples import override_grade

    database = client.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        question = session.get(Question, 1)
        user = ensure_local_user(session=session)
        answer = Answer(user_id=user.id, question=question, question_version=1, text=text)
        session.add(answer)
        session.flush()
        override_grade(session=session, answer=answer, score=score)
        session.commit()
        return question.text


def _local_questions(client: TestClient, bank: Any, ids: set[int], *, other: bool = False) -> Any:
    from app.accounts.users import ensure_local_user

    database = client.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        user_id = ensure_local_user(session=session).id + (1 if other else 0)
        return bank.get_many(session=session, user_id=user_id, ids=ids)


def test_bank_questions_see_an_example_added_after_they_were_cached(client: TestClient) -> None:
    from app.practice.scoring import BankQuestions

    bank = BankQuestions()
    assert _local_questions(client, bank, {1})[1].exemplars == ()
    _override_first_question(client, "Clip it.", 20)
    (exemplar,) = _local_questions(client, bank, {1})[1].exemplars
    assert (exemplar.text, exemplar.score, exemplar.source) == ("Clip it.", 20.0, "override")


def test_bank_questions_see_an_example_added_to_another_question_of_their_notes(
    client: TestClient,
) -> None:
    from app.practice.scoring import BankQuestions

    bank = BankQuestions()
    assert _local_questions(client, bank, {2})[2].bank is None
    asked = _override_first_question(client, "Clip it.", 20)
    calibrated = _local_questions(client, bank, {2})[2]
    assert calibrated.exemplars == ()
    assert calibrated.bank is not None
    (example,) = calibrated.bank.examples
    assert (example.exemplar.text, example.question.question) == ("Clip it.", asked)
    # Someone else's grading of question 2 is not calibrated on it.
    assert _local_questions(client, bank, {2}, other=True)[2].bank is None
