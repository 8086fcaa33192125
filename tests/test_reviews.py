"""Spaced review with FSRS: grades move cards, follow-ups do not, the due queue and its API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from app.accounts.users import ensure_local_user
from app.cli import main
from app.config import Settings
from app.db import Database
from app.grading.base import rating_for
from app.models import Question, Review, ReviewLog, utcnow
from app.practice.options import InterviewOptions
from app.practice.reviews import (
    RetentionError,
    daily_plan,
    record_review,
    review_queue,
    set_desired_retention,
)
from app.practice.turns import add_follow_up, create_interview
from tests.fakes import OverlapGrader
from tests.queue_helpers import answer_and_grade


def _questions(session: object, n: int) -> list[Question]:
    return list(session.scalars(select(Question).order_by(Question.id).limit(n)))  # type: ignore[attr-defined]


def test_rating_thresholds_sit_on_the_verdict_scale() -> None:
    assert [rating_for(s) for s in (0, 39.9, 40, 59.9, 60, 84.9, 85, 100)] == [
        "again",
        "again",
        "hard",
        "hard",
        "good",
        "good",
        "easy",
        "easy",
    ]


def test_a_good_answer_is_scheduled_days_out_and_a_miss_comes_back_first(
    database: Database,
) -> None:
    with database.session() as session:
        user = ensure_local_user(session=session)
        good, bad = _questions(session, 2)
        for question, text in ((good, good.reference_answer), (bad, "no idea at all")):
            answer_and_grade(
                session=session,
                user=user,
                question=question,
                text=text,
                grader=OverlapGrader(),
                max_chars=20_000,
            )
        cards = {
            r.question_id: r
            for r in session.scalars(select(Review).where(Review.user_id == user.id))
        }
        logs = session.scalars(select(ReviewLog).order_by(ReviewLog.id)).all()
    assert [(log.question_id, log.rating) for log in logs] == [(good.id, 4), (bad.id, 1)]
    # No learning steps: even a first answer is scheduled in days, not minutes.
    assert cards[good.id].state == "review" and cards[bad.id].state == "review"
    assert cards[good.id].due_at - utcnow() > timedelta(days=5)
    assert cards[bad.id].due_at < cards[good.id].due_at
    assert cards[bad.id].due_at - utcnow() >= timedelta(hours=23)


def test_a_follow_up_answer_is_no_review_of_its_question(database: Database) -> None:
    with database.session() as session:
        user = ensure_local_user(session=session)
        question = _questions(session, 1)[0]
        interview = create_interview(
            session=session,
            user_id=user.id,
            options=InterviewOptions(question_ids=(question.id,), count=1),
        )
        item = interview.items[0]
        answer_and_grade(
            session=session,
            user=user,
            question=question,
            item=item,
            text=question.reference_answer,
            grader=OverlapGrader(),
            max_chars=20_000,
        )
        follow = add_follow_up(
            session=session, interview=interview, item=item, point=question.key_points[0].display
        )
        answer_and_grade(
            session=session,
            user=user,
            question=question,
            item=follow,
            text="nothing useful",
            grader=OverlapGrader(),
            max_chars=20_000,
        )
        logs = session.scalars(select(ReviewLog)).all()
        card = session.scalar(select(Review))
    assert len(logs) == 1 and logs[0].rating == 4
    assert card is not None and card.reps == 1


def test_higher_retention_brings_questions_back_sooner_and_bounds_hold(
    database: Database,
) -> None:
    start = utcnow() - timedelta(days=30)
    with database.session() as session:
        user = ensure_local_user(session=session)
        question = _questions(session, 1)[0]
        for day in (0, 3, 10):
            record_review(
                session=session,
                user_id=user.id,
                question_id=question.id,
                score=70,
                reviewed_at=start + timedelta(days=day),
            )
        relaxed = set_desired_retention(session=session, user_id=user.id, value=0.70)
        assert relaxed.desired_retention == 0.70
        due_relaxed = session.scalar(select(Review.due_at))
        set_desired_retention(session=session, user_id=user.id, value=0.97)
        due_strict = session.scalar(select(Review.due_at))
        with pytest.raises(RetentionError, match=r"between 0\.70 and 0\.97"):
            set_desired_retention(session=session, user_id=user.id, value=0.5)
    assert due_relaxed is not None and due_strict is not None
    assert due_strict < due_relaxed
    with pytest.raises(ValidationError):
        Settings(_env_file=None, review_desired_retention=0.99)  # type: ignore[call-arg]


def test_a_grade_that_arrives_late_is_replayed_in_time_order(database: Database) -> None:
    start = utcnow() - timedelta(days=20)
    with database.session() as session:
        user = ensure_local_user(session=session)
        question = _questions(session, 1)[0]
        in_order = [(start, 90.0), (start + timedelta(days=5), 20.0)]
        record_review(
            session=session,
            user_id=user.id,
            question_id=question.id,
            score=in_order[1][1],
            reviewed_at=in_order[1][0],
        )
        late = record_review(
            session=session,
            user_id=user.id,
            question_id=question.id,
            score=in_order[0][1],
            reviewed_at=in_order[0][0],
        )
        late_state = (late.stability, late.due_at, late.lapses)
        other = _questions(session, 2)[1]
        for at, score in in_order:
            record_review(
                session=session, user_id=user.id, question_id=other.id, score=score, reviewed_at=at
            )
        straight = session.scalar(select(Review).where(Review.question_id == other.id))
        assert straight is not None
        assert late_state == (straight.stability, straight.due_at, straight.lapses)
        assert straight.lapses == 1


def test_daily_plan_keeps_to_the_limits(database: Database) -> None:
    now = utcnow()
    with database.session() as session:
        user = ensure_local_user(session=session)
        questions = _questions(session, 8)
        for question in questions[:4]:
            record_review(
                session=session,
                user_id=user.id,
                question_id=question.id,
                score=70,
                reviewed_at=now - timedelta(days=60),
            )
        plan = daily_plan(
            session=session,
            user_id=user.id,
            desired_retention=0.9,
            new_per_day=3,
            max_per_day=2,
            now=now,
        )
    assert plan.due_total == 4 and len(plan.due) == 2
    assert plan.new_total == 4 and len(plan.new_question_ids) == 3
    assert set(plan.new_question_ids) <= {q.id for q in questions[4:]}


def test_reviews_api_lists_cards_and_what_is_due(client: TestClient, database: Database) -> None:
    long_ago = utcnow() - timedelta(days=40)
    with database.session() as session:
        user = ensure_local_user(session=session)
        old, fresh = _questions(session, 2)
        record_review(
            session=session, user_id=user.id, question_id=old.id, score=50, reviewed_at=long_ago
        )
        record_review(session=session, user_id=user.id, question_id=fresh.id, score=95)
    everything = client.get("/api/v1/reviews").json()
    assert [item["question_id"] for item in everything["items"]] == [old.id, fresh.id]
    first = everything["items"][0]
    assert set(first) >= {"question_id", "due_at", "retrievability", "state"}
    due_at = datetime.fromisoformat(first["due_at"].replace("Z", "+00:00"))
    assert due_at.tzinfo == UTC and due_at < datetime.now(UTC)
    assert 0 < first["retrievability"] < everything["items"][1]["retrievability"] <= 1
    due = client.get("/api/v1/reviews", params={"due": "true"}).json()
    assert [item["question_id"] for item in due["items"]] == [old.id]
    assert due["due_today"] == 1 and due["desired_retention"] == 0.9


def test_review_queue_skips_retired_questions(database: Database) -> None:
    with database.session() as session:
        user = ensure_local_user(session=session)
        question = _questions(session, 1)[0]
        record_review(session=session, user_id=user.id, question_id=question.id, score=80)
        question.retired = True
        session.flush()
        assert review_queue(session=session, user_id=user.id, desired_retention=0.9) == []


def test_cli_review_optimize_says_when_there_is_too_little_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["review", "optimize"]) == 1
    out = capsys.readouterr().out
    assert "not enough data yet: 0 reviews logged" in out and "512" in out
    assert main(["review", "due", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"items": []}


def test_api_override_and_skip_act_like_the_grade_card(
    client: TestClient, database: Database
) -> None:
    with database.session() as session:
        first, second = (q.id for q in _questions(session, 2))
    started = client.post(
        "/api/v1/sessions", json={"question_ids": [first, second], "count": 2, "order": "bank"}
    ).json()
    items = [item["id"] for item in started["items"]]
    answered = client.post(
        f"/api/v1/sessions/{started['id']}/answers",
        json={"item_id": items[0], "answer": "attention", "wait": True},
    ).json()
    answer_id = answered["answer"]["id"]
    bad = client.post(f"/api/v1/answers/{answer_id}/override", json={"score": 101})
    assert bad.status_code == 422
    mine = client.post(f"/api/v1/answers/{answer_id}/override", json={"score": 90})
    assert mine.status_code == 200, mine.text
    grades = mine.json()["grades"]
    assert [g["grader"] for g in grades] == ["fake-overlap", "self"]
    assert mine.json()["grade"]["score"] == 90 and mine.json()["grade"]["verdict"] == "correct"
    assert client.post("/api/v1/answers/999999/override", json={"score": 5}).status_code == 404
    skipped = client.post(f"/api/v1/sessions/{started['id']}/items/{items[1]}/skip")
    assert skipped.status_code == 201, skipped.text
    assert skipped.json()["grade"]["score"] == 0 and skipped.json()["text"] == ""
    with database.session() as session:
        logs = session.scalars(select(ReviewLog).order_by(ReviewLog.id)).all()
        assert [(log.question_id, log.rating, log.source) for log in logs] == [
            (first, 4, "self"),
            (second, 1, "skip"),
        ]
    session_view = client.get(f"/api/v1/sessions/{started['id']}").json()
    assert session_view["next_item_id"] is None and session_view["finished_at"] is not None


def test_api_override_takes_only_a_number_as_score(client: TestClient) -> None:
    for score in (True, "80", None):
        response = client.post("/api/v1/answers/1/override", json={"score": score})
        assert response.status_code == 422, score
