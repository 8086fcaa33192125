"""One interview, taken once in the browser's pages and once over the API, stores the same rows.

The pages and the API only translate to and from the practice services; if either grew a rule
of its own (a check, a default, a follow-up choice), the two databases would differ here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Database
from app.main import create_app
from app.models import (
    GRADING_PENDING,
    Answer,
    ExampleAnswer,
    Interview,
    InterviewItem,
    Question,
    Review,
    ReviewLog,
    StoredGrade,
    StoredKeyPoint,
)
from tests.conftest import pinned_settings
from tests.fakes import FAKE_GRADERS
from tests.html import one, page_of
from tests.web_client import TEST_HOST, PageClient

API = "/api/v1"
GRADE_TIMEOUT_S = 30.0
OWN_SCORE = 40


def _app(tmp_path: Path, name: str) -> FastAPI:
    data = tmp_path / name
    settings = pinned_settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'mock_interview.db'}",
        grader="fake",
        embedding_warmup=False,
        trusted_hosts=[TEST_HOST],
    )
    return create_app(settings, graders=FAKE_GRADERS)


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[PageClient]:
    """A client of an app of its own, taking the interview through the pages."""
    with PageClient(_app(tmp_path, "pages")) as client:
        yield client


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    """A client of another app with its own database, taking the interview over the API."""
    with TestClient(_app(tmp_path, "api")) as client:
        yield client


def _database(client: TestClient) -> Database:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    return database


def _plan(database: Database) -> tuple[list[int], list[str]]:
    """Three questions with several key points each, and answers: the first key point alone
    (so points are missed), something for the follow-up, and the full reference answer."""
    with database.session(write=False) as session:
        several = (
            select(StoredKeyPoint.question_id)
            .group_by(StoredKeyPoint.question_id)
            .having(func.count(StoredKeyPoint.id) >= 3)
        )
        questions = list(
            session.scalars(
                select(Question)
                .where(Question.retired.is_(False), Question.id.in_(several))
                .order_by(Question.id)
                .limit(3)
            )
        )
        assert len(questions) == 3
        first_point = session.scalar(
            select(StoredKeyPoint.text)
            .where(StoredKeyPoint.question_id == questions[0].id)
            .order_by(StoredKeyPoint.position)
        )
        assert first_point
        answers = [first_point, "I am not sure, something about the details.", ""]
        answers[2] = questions[2].reference_answer
        return [q.id for q in questions], answers


def _wait_until_graded(database: Database) -> None:
    """Until the grading workers have graded every stored answer."""
    deadline = time.monotonic() + GRADE_TIMEOUT_S
    while time.monotonic() < deadline:
        with database.session(write=False) as session:
            pending = session.scalar(
                select(func.count(Answer.id)).where(Answer.grading_state == GRADING_PENDING)
            )
        if not pending:
            return
        time.sleep(0.05)
    raise AssertionError("answers were not graded in time")


def _answer_on_page(client: TestClient, url: str, text: str) -> str:
    """Submit the answer form shown at `url` as a browser would; the turn's URL after it."""
    form = one(page_of(client.get(url).text), "form[data-testid=answer-form]")
    fields = {str(i["name"]): str(i["value"]) for i in form.select("input[type=hidden]")}
    response = client.post(str(form["action"]), data={**fields, "answer": text})
    assert response.status_code == 200, response.text
    _wait_until_graded(_database(client))
    return str(response.url.path)


def _next_turn_on_page(client: TestClient, interview_url: str) -> str:
    response = client.get(interview_url, follow_redirects=False)
    assert response.status_code == 303
    return str(response.headers["location"])


def _take_on_pages(client: TestClient, question_ids: list[int], answers: list[str]) -> str:
    """The interview through the pages; returns the key point the interviewer followed up."""
    started = client.post(
        "/interviews",
        data={
            "question_ids": [str(i) for i in question_ids],
            "count": "3",
            "order": "bank",
            "time_limit_s": "120",
        },
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    first = str(started.headers["location"])
    interview = first.rsplit("/items/", 1)[0]

    graded = page_of(client.get(_answer_on_page(client, first, answers[0])).text)
    button = graded.select("[data-testid=follow-up]")[0]
    follow_form = button.find_parent("form")
    assert follow_form is not None
    point = str(one(follow_form, "input[name=point]")["value"])
    asked = client.post(str(follow_form["action"]), data={"point": point}, follow_redirects=False)
    assert asked.status_code == 303
    _answer_on_page(client, str(asked.headers["location"]), answers[1])

    second = page_of(client.get(_next_turn_on_page(client, interview)).text)
    skip = one(second, "[data-testid=skip-question]")
    assert client.post(str(skip["formaction"])).status_code == 200

    third = _answer_on_page(client, _next_turn_on_page(client, interview), answers[2])
    override = one(page_of(client.get(third).text), "form[data-testid=override-form]")
    saved = client.post(
        str(override["action"]), data={"score": str(OWN_SCORE), "verdict": "incorrect"}
    )
    assert saved.status_code == 200
    return point


def _take_over_api(
    client: TestClient, question_ids: list[int], answers: list[str], point: str
) -> None:
    """The same interview over the API: same questions, answers, follow-up, skip and grade."""
    started = client.post(
        f"{API}/sessions",
        json={"question_ids": question_ids, "count": 3, "order": "bank", "time_limit_s": 120},
    )
    assert started.status_code == 201, started.text
    interview = started.json()
    base = f"{API}/sessions/{interview['id']}"
    first, second, _third = (item["id"] for item in interview["items"])

    def answer(**body: Any) -> dict[str, Any]:
        response = client.post(f"{base}/answers", json={"time_taken_ms": 5000, **body})
        assert response.status_code in (201, 202), response.text
        _wait_until_graded(_database(client))
        result: dict[str, Any] = response.json()
        return result

    answer(answer=answers[0])
    follow = client.post(f"{base}/items/{first}/follow-ups", json={"point": point})
    assert follow.status_code == 201, follow.text
    answer(answer=answers[1], item_id=follow.json()["id"])
    assert client.post(f"{base}/items/{second}/skip").status_code == 201
    last = answer(answer=answers[2])
    assert last["session_finished"] is True
    override = client.post(
        f"{API}/answers/{last['answer']['id']}/override",
        json={"score": OWN_SCORE, "verdict": "incorrect"},
    )
    assert override.status_code == 200, override.text


def _stored(database: Database) -> dict[str, Any]:
    """What the database holds of the interview, without ids, times and durations."""
    with database.session(write=False) as session:
        (interview,) = session.scalars(select(Interview)).all()
        items = list(session.scalars(select(InterviewItem).order_by(InterviewItem.position)))
        position = {item.id: item.position for item in items}
        text: dict[int, str] = {
            qid: qtext for qid, qtext in session.execute(select(Question.id, Question.text))
        }
        grades: dict[int, list[tuple[Any, ...]]] = {}
        for grade in session.scalars(select(StoredGrade).order_by(StoredGrade.id)):
            details = {k: v for k, v in grade.details.items() if k != "overrides"}
            grades.setdefault(grade.answer_id, []).append(
                (
                    grade.score,
                    grade.verdict,
                    grade.feedback,
                    grade.grader,
                    grade.grader_version,
                    grade.fallback,
                    details,
                    "overrides" in grade.details,
                )
            )
        return {
            "interview": (interview.config, interview.finished_at is not None),
            "turns": [
                (
                    item.position,
                    item.kind,
                    text[item.question_id],
                    item.prompt,
                    item.focus_point,
                    position.get(item.parent_item_id) if item.parent_item_id else None,
                )
                for item in items
            ],
            "answers": [
                (
                    position.get(a.item_id) if a.item_id else None,
                    text[a.question_id],
                    a.text,
                    a.question_version,
                    a.grading_state,
                    a.grader,
                    a.time_taken_ms is not None,
                    grades.get(a.id, []),
                )
                for a in session.scalars(select(Answer).order_by(Answer.id))
            ],
            "reviews": sorted(
                (text[r.question_id], r.state, r.reps, r.lapses, r.last_score)
                for r in session.scalars(select(Review))
            ),
            "review_log": [
                (text[log.question_id], log.rating, log.score, log.source)
                for log in session.scalars(select(ReviewLog).order_by(ReviewLog.id))
            ],
            "graded_examples": [
                (text[e.question_id], e.text, e.score, e.source)
                for e in session.scalars(
                    select(ExampleAnswer)
                    .where(ExampleAnswer.answer_id.is_not(None))
                    .order_by(ExampleAnswer.id)
                )
            ],
        }


def test_the_same_interview_on_the_pages_and_over_the_api_stores_the_same_rows(
    pages: PageClient, api: TestClient
) -> None:
    question_ids, answers = _plan(_database(pages))
    assert _plan(_database(api)) == (question_ids, answers)

    point = _take_on_pages(pages, question_ids, answers)
    _take_over_api(api, question_ids, answers, point)

    on_pages, over_api = _stored(_database(pages)), _stored(_database(api))
    # The interview is what a person would see it was: four turns (a follow-up after the first),
    # five answers' worth of grades, the skip and the person's own grade, and it is finished.
    kinds = [turn[1] for turn in on_pages["turns"]]
    assert kinds == ["question", "follow_up", "question", "question"]
    assert on_pages["turns"][1][4] == point and on_pages["turns"][1][5] == 0
    assert on_pages["interview"][1] is True
    own = [g for a in on_pages["answers"] for g in a[7] if g[3] == "self"]
    assert [(g[0], g[1]) for g in own] == [(0.0, "incorrect"), (OWN_SCORE, "incorrect")]
    assert on_pages["graded_examples"] and on_pages["review_log"]
    for part in on_pages:
        assert on_pages[part] == over_api[part], part
