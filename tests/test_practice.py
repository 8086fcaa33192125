"""Practice services: choosing questions, follow-ups graded on their point, summaries, reviews."""

import pytest
from sqlalchemy import select

from app.accounts.users import ensure_local_user
from app.db import Database
from app.models import Answer, Question, Topic
from app.practice.errors import AnswerTooLongError, InvalidOptions, PracticeError
from app.practice.options import InterviewOptions, options_from_form
from app.practice.turns import (
    add_follow_up,
    create_interview,
    next_item,
    summarize,
)
from tests.fakes import OverlapGrader
from tests.queue_helpers import answer_and_grade


def test_session_picks_count_questions_from_chosen_topics(database: Database) -> None:
    with database.session() as session:
        user = ensure_local_user(session=session)
        topic = session.scalar(select(Topic).where(Topic.title == "Embeddings"))
        assert topic is not None
        interview = create_interview(
            session=session,
            user_id=user.id,
            options=InterviewOptions(topic_ids=(topic.id,), count=3),
        )
        assert [item.question.topic.title for item in interview.items] == ["Embeddings"]
        interview = create_interview(
            session=session, user_id=user.id, options=InterviewOptions(count=4)
        )
        assert len({item.question_id for item in interview.items}) == 4


def test_no_matching_questions_and_bad_counts_are_errors(database: Database) -> None:
    with database.session() as session:
        user = ensure_local_user(session=session)
        with pytest.raises(PracticeError, match="no active questions"):
            create_interview(
                session=session, user_id=user.id, options=InterviewOptions(topic_ids=(999,))
            )
        with pytest.raises(InvalidOptions, match="between 1 and"):
            options_from_form(
                topic_ids=[], question_ids=[], count="0", order="random", time_limit_s=""
            )


def test_weakest_first_puts_low_scores_first(database: Database) -> None:
    grader = OverlapGrader()
    with database.session() as session:
        user = ensure_local_user(session=session)
        questions = list(session.scalars(select(Question).order_by(Question.id)))
        for question in questions:
            # Answer each question with its own reference, except question 3: nonsense.
            text = "bananas" if question.id == questions[3].id else question.reference_answer
            answer_and_grade(
                session=session,
                user=user,
                question=question,
                text=text,
                grader=grader,
                max_chars=20_000,
            )
        interview = create_interview(
            session=session, user_id=user.id, options=InterviewOptions(count=2, order="weakest")
        )
        assert interview.items[0].question_id == questions[3].id


def test_follow_up_is_graded_against_its_key_point(database: Database) -> None:
    grader = OverlapGrader()
    with database.session() as session:
        user = ensure_local_user(session=session)
        question = session.scalar(select(Question).where(Question.text.like("%bias-variance%")))
        assert question is not None
        interview = create_interview(
            session=session,
            user_id=user.id,
            options=InterviewOptions(question_ids=(question.id,), count=1),
        )
        first = interview.items[0]
        point = next(p.display for p in question.key_points if p.text.startswith("Variance is"))
        follow_up = add_follow_up(session=session, interview=interview, item=first, point=point)
        assert next_item(interview) is first
        assert [item.kind for item in interview.items] == ["question", "follow_up"]
        _answer, grade = answer_and_grade(
            session=session,
            user=user,
            question=question,
            item=follow_up,
            grader=grader,
            max_chars=20_000,
            text="Variance is the error from a model too sensitive to its specific training data.",
        )
        assert grade is not None and grade.score >= 60  # a whole-reference grade would be low
        assert len(grade.details["key_points"]) == 1


def test_summary_average_and_weak_questions(database: Database) -> None:
    grader = OverlapGrader()
    with database.session() as session:
        user = ensure_local_user(session=session)
        interview = create_interview(
            session=session, user_id=user.id, options=InterviewOptions(count=2, order="bank")
        )
        good, bad = interview.items
        answer_and_grade(
            session=session,
            user=user,
            question=good.question,
            item=good,
            text=good.question.reference_answer,
            grader=grader,
            max_chars=20_000,
            time_taken_ms=42_000,
        )
        answer_and_grade(
            session=session,
            user=user,
            question=bad.question,
            item=bad,
            text="no idea",
            grader=grader,
            max_chars=20_000,
        )
        summary = summarize(interview)
    assert [row.time_taken_ms for row in summary.rows] == [42_000, None]
    assert summary.rows[0].score is not None and summary.rows[0].score > 90
    assert summary.weak_question_ids == [bad.question_id]
    assert summary.average == round(sum(r.score or 0 for r in summary.rows) / 2, 1)


def test_answer_is_kept_when_the_grader_fails(database: Database) -> None:
    with database.session() as session:
        user = ensure_local_user(session=session)
        question = session.scalar(select(Question))
        assert question is not None
        answer, grade = answer_and_grade(
            session=session,
            user=user,
            question=question,
            text="my answer",
            grader=OverlapGrader(fail=True),
            max_chars=20_000,
        )
        answer_id = answer.id
    assert grade is None
    with database.session() as session:
        stored = session.get(Answer, answer_id)
        assert stored is not None and stored.text == "my answer"
        assert stored.grading_error and "told to fail" in stored.grading_error


def test_too_long_answer_is_refused(database: Database) -> None:
    with database.session() as session:
        user = ensure_local_user(session=session)
        question = session.scalar(select(Question))
        assert question is not None
        with pytest.raises(AnswerTooLongError, match="limit is 10"):
            answer_and_grade(
                session=session,
                user=user,
                question=question,
                text="x" * 11,
                grader=OverlapGrader(),
                max_chars=10,
            )
