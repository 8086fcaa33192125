"""The grading queue: claims, retries, leases that run out, and each answer graded once."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import event, func, select

from app.accounts.users import ensure_local_user
from app.config import Settings
from app.db import Database
from app.grading.graders import GraderPool
from app.models import Answer, Question, StoredGrade, utcnow
from app.practice.grades import submit_answer
from app.practice.grading_queue import (
    LEASE_EXPIRED,
    claim_job,
    complete_job,
    grading_status,
    queue_depth,
    retry_grading,
)
from app.practice.workers import GradingEvents, GradingWorkers, drain_queue, grade_next
from tests.fakes import FAKE_GRADERS, OverlapGrader


def _submit(database: Database, *texts: str, grader: str | None = None) -> list[int]:
    with database.session() as session:
        user = ensure_local_user(session=session)
        question = session.scalar(select(Question).order_by(Question.id))
        assert question is not None
        return [
            submit_answer(
                session=session,
                user=user,
                question=question,
                text=text,
                max_chars=20_000,
                grader=grader,
            ).answer.id
            for text in texts
        ]


def _answer(database: Database, answer_id: int) -> Answer:
    with database.session() as session:
        answer = session.get(Answer, answer_id)
        assert answer is not None
        session.expunge(answer)
        return answer


def test_a_worker_grades_queued_answers_oldest_first(
    database: Database, settings: Settings
) -> None:
    first, second = _submit(database, "attention weighs tokens", "no idea")
    with database.session() as session:
        assert queue_depth(session=session) == 2
        later = session.get(Answer, second)
        assert later is not None
        status = grading_status(session=session, answer=later)
        assert status.state == "pending" and status.queue_position == 2
    graders = GraderPool(settings, FAKE_GRADERS)
    assert grade_next(database=database, graders=graders, settings=settings) == [first]
    assert drain_queue(database=database, graders=graders, settings=settings) == 1
    for answer_id in (first, second):
        answer = _answer(database, answer_id)
        assert answer.grading_state == "done" and answer.grading_attempts == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(StoredGrade)) == 2
        assert queue_depth(session=session) == 0


def test_a_failing_grader_is_tried_again_then_the_answer_is_failed(
    database: Database, settings: Settings
) -> None:
    (answer_id,) = _submit(database, "kept", grader="failing")
    graders = GraderPool(settings, FAKE_GRADERS)
    grade_next(database=database, graders=graders, settings=settings)
    after_one = _answer(database, answer_id)
    assert after_one.grading_state == "pending" and after_one.grading_attempts == 1
    assert after_one.grading_error and "told to fail" in after_one.grading_error
    drain_queue(database=database, graders=graders, settings=settings)
    failed = _answer(database, answer_id)
    assert failed.grading_state == "failed"
    assert failed.grading_attempts == settings.grading_max_attempts
    assert failed.text == "kept"

    with database.session() as session:
        answer = session.get(Answer, answer_id)
        assert answer is not None
        answer.grader = "fake"  # the grader is back
        assert retry_grading(session=session, answer=answer)
    drain_queue(database=database, graders=graders, settings=settings)
    assert _answer(database, answer_id).grading_state == "done"


def test_a_crashed_workers_job_is_claimed_again_after_its_lease(
    database: Database, settings: Settings
) -> None:
    (answer_id,) = _submit(database, "attention")
    with database.session() as session:
        job = claim_job(session=session, lease_s=30, max_attempts=3)
    assert job is not None  # ...and then the worker dies without a word
    with database.session() as session:
        assert claim_job(session=session, lease_s=30, max_attempts=3) is None  # leased
        stalled = claim_job(
            session=session, lease_s=30, max_attempts=3, now=utcnow() + timedelta(seconds=31)
        )
    assert stalled is not None and stalled.answer_id == answer_id and stalled.attempt == 2
    # The first worker comes back to life with its grade: it lost the claim, nothing stored.
    grader = OverlapGrader()
    with database.session() as session:
        assert not complete_job(session=session, job=job, result=grader.grade(job.question, "x"))
    with database.session() as session:
        assert complete_job(
            session=session, job=stalled, result=grader.grade(stalled.question, stalled.text)
        )
    with database.session() as session:
        grades = session.scalars(
            select(StoredGrade).where(StoredGrade.answer_id == answer_id)
        ).all()
        assert len(grades) == 1


def test_a_job_whose_workers_keep_dying_is_failed_with_the_reason(database: Database) -> None:
    (answer_id,) = _submit(database, "attention")
    now = utcnow()
    for attempt in range(3):
        with database.session() as session:
            job = claim_job(
                session=session,
                lease_s=30,
                max_attempts=3,
                now=now + timedelta(seconds=31 * attempt),
            )
            assert job is not None and job.attempt == attempt + 1
    with database.session() as session:
        assert (
            claim_job(session=session, lease_s=30, max_attempts=3, now=now + timedelta(days=1))
            is None
        )
    failed = _answer(database, answer_id)
    assert failed.grading_state == "failed" and failed.grading_error == LEASE_EXPIRED


def test_concurrent_workers_grade_every_answer_exactly_once(
    database: Database, settings: Settings
) -> None:
    ids = _submit(database, *[f"answer {n} about attention" for n in range(40)])
    graders = GraderPool(settings, FAKE_GRADERS)
    threads = [
        threading.Thread(
            target=drain_queue,
            kwargs={"database": database, "graders": graders, "settings": settings},
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with database.session() as session:
        per_answer = dict(
            session.execute(
                select(StoredGrade.answer_id, func.count()).group_by(StoredGrade.answer_id)
            ).all()
        )
    assert per_answer == dict.fromkeys(ids, 1)


def test_in_process_workers_wake_on_commit_and_heartbeat(
    database: Database, settings: Settings
) -> None:
    events = GradingEvents()
    workers = GradingWorkers(
        database=database,
        graders=GraderPool(settings, FAKE_GRADERS),
        settings=settings,
        threads=2,
        events=events,
    )
    event.listen(database.sessionmaker, "after_commit", workers.on_commit)
    workers.start()
    try:
        (answer_id,) = _submit(database, "attention")

        async def wait() -> bool:
            return await events.wait(answer_id, 10)

        assert asyncio.run(wait())
        assert _answer(database, answer_id).grading_state == "done"
    finally:
        workers.stop()
        event.remove(database.sessionmaker, "after_commit", workers.on_commit)
