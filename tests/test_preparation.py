"""Questions are prepared for grading when an interview starts, before their first answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.grading.base import GradingQuestion
from app.main import create_app
from app.models import Interview
from app.practice.options import InterviewOptions
from app.practice.preparation import LOOK_BACK, started_questions
from app.practice.turns import create_interview
from tests.fakes import FAKE_GRADERS, OverlapGrader
from tests.web_client import PageClient


class PreparingGrader(OverlapGrader):
    """The overlap grader, recording the questions it is asked to prepare and the answers it
    grades, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str]] = []
        self.changed = threading.Condition()

    def prepare(self, questions: Sequence[GradingQuestion]) -> int:
        with self.changed:
            self.log.extend(("prepare", q.question) for q in questions)
            self.changed.notify_all()
        return len(questions)

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list:  # type: ignore[type-arg]
        with self.changed:
            self.log.extend(("grade", q.question) for q, _ in items)
            self.changed.notify_all()
        return super().grade_batch(items)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[str, str]]:
        return self.wait_until(lambda log: len(log) >= count, timeout)

    def wait_until(
        self, done: Callable[[list[tuple[str, str]]], bool], timeout: float = 30.0
    ) -> list[tuple[str, str]]:
        with self.changed:
            self.changed.wait_for(lambda: done(self.log), timeout)
            return list(self.log)


@pytest.fixture
def preparing() -> PreparingGrader:
    return PreparingGrader()


@pytest.fixture
def preparing_client(settings: Settings, preparing: PreparingGrader) -> Iterator[TestClient]:
    graders = {**FAKE_GRADERS, "preparing": lambda _settings: preparing}
    app = create_app(settings.model_copy(update={"grader": "preparing"}), graders=graders)
    with PageClient(app) as client:
        yield client


def test_starting_an_interview_prepares_its_questions_in_order(
    preparing_client: TestClient, preparing: PreparingGrader
) -> None:
    started = preparing_client.post("/api/v1/sessions", json={"count": 3, "order": "random"})
    assert started.status_code == 201
    prompts = [item["prompt"] for item in started.json()["items"]]

    # No answer was given: the grader saw the three questions only to prepare them.
    assert preparing.wait_for(3) == [("prepare", prompt) for prompt in prompts]


class SlowPreparingGrader(PreparingGrader):
    """Takes a while to prepare each question, as a model does."""

    def prepare(self, questions: Sequence[GradingQuestion]) -> int:
        time.sleep(0.3)
        return super().prepare(questions)


def test_an_answer_is_graded_before_the_rest_of_its_interview_is_prepared(
    settings: Settings,
) -> None:
    slow = SlowPreparingGrader()
    graders = {**FAKE_GRADERS, "slow": lambda _settings: slow}
    app = create_app(settings.model_copy(update={"grader": "slow"}), graders=graders)
    with PageClient(app) as client:
        started = client.post("/api/v1/sessions", json={"count": 8, "order": "bank"}).json()
        prompts = [item["prompt"] for item in started["items"]]
        answered = client.post(
            f"/api/v1/sessions/{started['id']}/answers", json={"answer": "attention", "wait": True}
        )
        assert answered.status_code == 201 and answered.json()["grade"] is not None
        # Only unanswered questions are prepared: on a busy machine the answer may be stored
        # before a worker first looks, and then its question is graded cold, not prepared.
        rest = set(prompts[1:])
        log = slow.wait_until(
            lambda log: (
                ("grade", prompts[0]) in log and rest <= {q for kind, q in log if kind == "prepare"}
            )
        )

    graded = log.index(("grade", prompts[0]))
    # Each worker finishes the question it was preparing, then takes the answer: the
    # candidate does not wait for the other questions of the interview to be prepared.
    assert len([entry for entry in log[graded:] if entry[0] == "prepare"]) >= 3
    prepared = [q for kind, q in log if kind == "prepare"]
    assert rest <= set(prepared) <= set(prompts)
    assert len(prepared) == len(set(prepared))


def _start(database: Database, count: int) -> int:
    with database.session() as session:
        interview = create_interview(
            session=session,
            user_id=_local_user(database),
            options=InterviewOptions(count=count, order="bank"),
        )
        return interview.id


def _local_user(database: Database) -> int:
    from app.accounts.users import ensure_local_user

    with database.session() as session:
        return ensure_local_user(session=session).id


def test_a_first_look_reads_recent_interviews_and_skips_answered_turns(
    client: TestClient, database: Database
) -> None:
    old = _start(database, 2)
    with database.session() as session:
        interview = session.get(Interview, old)
        assert interview is not None
        interview.created_at -= LOOK_BACK + timedelta(minutes=1)
    recent = client.post("/api/v1/sessions", json={"count": 3, "order": "bank"}).json()
    client.post(f"/api/v1/sessions/{recent['id']}/answers", json={"answer": "x", "wait": True})

    with database.session() as session:
        after, questions = started_questions(session=session, after=None)
        assert after == recent["id"]
        assert [q.question for q in questions] == [i["prompt"] for i in recent["items"][1:]]
        newest = session.scalar(select(Interview.id).order_by(Interview.id.desc()))
        assert started_questions(session=session, after=newest) == (newest, [])


def test_a_grader_that_cannot_prepare_still_grades(settings: Settings) -> None:
    class Broken(PreparingGrader):
        def prepare(self, questions: Sequence[GradingQuestion]) -> int:
            super().prepare(questions)
            raise RuntimeError("no model")

    broken = Broken()
    graders = {**FAKE_GRADERS, "broken": lambda _settings: broken}
    app = create_app(settings.model_copy(update={"grader": "broken"}), graders=graders)
    with PageClient(app) as client:
        started = client.post("/api/v1/sessions", json={"count": 2, "order": "bank"}).json()
        broken.wait_for(2)
        answered = client.post(
            f"/api/v1/sessions/{started['id']}/answers", json={"answer": "attention", "wait": True}
        )
    assert answered.status_code == 201 and answered.json()["grade"] is not None
