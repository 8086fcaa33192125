"""Alternative references and graded example answers: from notes, stored, and added by people."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.users import ensure_local_user
from app.db import Database
from app.grading.references import ReferenceGrader
from app.material.bank import example_bank, grading_question
from app.material.importer import ImportReport, import_notes_text
from app.material.notes import NotesError
from app.material.parser import parse_notes
from app.models import ExampleAnswer, Question
from app.practice.examples import ExampleError, confirm_grade, override_grade
from app.practice.grades import store_answer
from tests.fakes import OverlapGrader
from tests.grading_fakes import FakeEmbedder
from tests.queue_helpers import answer_and_grade

TEXT_NOTES = """\
Part 1: Regularisation
1. Overfitting
Interviewer: "What is overfitting?"
Your Answer: "The model learns noise in the training data and fails to generalise."
Your Answer (alternative): "Low training error but high validation error,
because it memorised the training set."
Example answer (strong): "It fits noise, so it does well on training data and badly on new data."
Example answer (partial): "The model is too complex."
Example answer (weak): "Overfitting is when training takes too long."
Interviewer: "What does dropout do?"
Your Answer: "It zeroes random activations during training."
"""

MARKDOWN_NOTES = """\
## Part 1: Regularisation
### 1. Overfitting
**Interviewer:** "What is overfitting?"
**Your Answer:** "The model learns noise in the training data."
**Your Answer (alternative):** "Low training error, high validation error."
**Example answer (weak):** "Training takes too long."
"""


def test_text_notes_give_alternatives_and_graded_examples() -> None:
    notes = parse_notes(TEXT_NOTES, source="reg.txt")
    first, second = notes.questions

    assert first.answer == "The model learns noise in the training data and fails to generalise."
    assert first.alternatives == (
        "Low training error but high validation error, because it memorised the training set.",
    )
    assert [(e.score, e.text) for e in first.examples] == [
        (100.0, "It fits noise, so it does well on training data and badly on new data."),
        (50.0, "The model is too complex."),
        (0.0, "Overfitting is when training takes too long."),
    ]
    assert second.alternatives == () and second.examples == ()


def test_markdown_notes_give_them_too() -> None:
    (question,) = parse_notes(MARKDOWN_NOTES, source="reg.md").questions
    assert question.alternatives == ("Low training error, high validation error.",)
    assert [(e.score, e.text) for e in question.examples] == [(0.0, "Training takes too long.")]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_structured_notes_take_lists(fmt: str) -> None:
    item = {
        "part": "Regularisation",
        "question": "What is overfitting?",
        "answer": "The model learns noise.",
        "alternatives": ["High variance.", "Memorising the training set."],
        "examples": [
            {"answer": "It is slow training.", "grade": "weak"},
            {"answer": "Noise.", "grade": 70},
        ],
    }
    text = json.dumps([item]) if fmt == "json" else _yaml([item])
    (question,) = parse_notes(text, source=f"bank.{fmt}").questions
    assert question.alternatives == ("High variance.", "Memorising the training set.")
    assert [(e.score, e.text) for e in question.examples] == [
        (0.0, "It is slow training."),
        (70.0, "Noise."),
    ]


def _yaml(items: list[dict[str, object]]) -> str:
    import yaml

    return yaml.safe_dump(items, sort_keys=False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'Part 1: X\nInterviewer: "Q?"\nYour Answer: "A."\nExample answer (great): "B."\n',
            "example answer grade 'great'",
        ),
        (
            'Part 1: X\nInterviewer: "Q?"\nYour Answer (alternative): "B."\nYour Answer: "A."\n',
            "before the question's 'Your Answer:'",
        ),
    ],
)
def test_bad_extras_name_the_line(text: str, message: str) -> None:
    with pytest.raises(NotesError) as info:
        parse_notes(text, source="bad.txt")
    assert message in str(info.value) and info.value.line in (3, 4)


def test_yaml_examples_need_answer_and_grade() -> None:
    text = _yaml([{"question": "Q?", "answer": "A.", "examples": [{"answer": "B."}]}])
    with pytest.raises(NotesError, match="needs an 'answer' and a 'grade'"):
        parse_notes(text, source="bad.yaml")


def import_reg(session: Session, text: str = TEXT_NOTES) -> ImportReport:
    """Import `text` as the local user's notes file reg.txt."""
    return import_notes_text(
        session=session, user_id=ensure_local_user(session=session).id, text=text, name="reg.txt"
    )


def _question(session: object, text: str) -> Question:
    question = session.scalar(select(Question).where(Question.text == text))  # type: ignore[attr-defined]
    assert question is not None
    return question


def test_import_stores_them_and_the_grader_sees_them(database: Database) -> None:
    with database.session() as session:
        import_reg(session)
    with database.session() as session:
        target = grading_question(_question(session, "What is overfitting?"), user_id=None)
        plain = grading_question(_question(session, "What does dropout do?"), user_id=None)

    assert target.reference_answers == (
        "The model learns noise in the training data and fails to generalise.",
        "Low training error but high validation error, because it memorised the training set.",
    )
    assert [(e.score, e.source) for e in target.exemplars] == [
        (100.0, "notes"),
        (50.0, "notes"),
        (0.0, "notes"),
    ]
    assert plain.reference_answers == ("It zeroes random activations during training.",)
    assert plain.exemplars == ()


def test_notes_without_extras_keep_their_content_hash() -> None:
    # A bank imported before this feature must not see every question as changed.
    plain = parse_notes(TEXT_NOTES, source="reg.txt").questions[1]
    import hashlib

    blob = "\x1f".join(
        [plain.part_title, plain.topic_title, plain.question, plain.answer, str(plain.follow_up)]
    )
    assert plain.content_hash == hashlib.sha256(blob.encode("utf-8")).hexdigest()


def test_reimport_replaces_notes_examples_and_keeps_a_persons(database: Database) -> None:
    with database.session() as session:
        import_reg(session)
        user = ensure_local_user(session=session)
        question = _question(session, "What is overfitting?")
        answer = store_answer(session=session, user=user, question=question, text="Memorising.")
        override_grade(session=session, answer=answer, score=90)
        session.commit()
    edited = TEXT_NOTES.replace('Example answer (partial): "The model is too complex."\n', "")
    with database.session() as session:
        report = import_reg(session, edited)
        session.commit()
    assert report.updated == 1
    with database.session() as session:
        question = _question(session, "What is overfitting?")
        examples = [(e.source, e.score, e.text) for e in question.example_answers]
    assert ("override", 90.0, "Memorising.") in examples
    assert [e for e in examples if e[0] == "notes"] == [
        ("notes", 100.0, "It fits noise, so it does well on training data and badly on new data."),
        ("notes", 0.0, "Overfitting is when training takes too long."),
    ]


def test_override_and_confirm_make_one_example_per_answer(database: Database) -> None:
    with database.session() as session:
        import_reg(session)
        user = ensure_local_user(session=session)
        question = _question(session, "What does dropout do?")
        answer, grade = answer_and_grade(
            session=session,
            user=user,
            question=question,
            text="It zeroes random activations while training.",
            grader=OverlapGrader(),
            max_chars=20_000,
        )
        assert grade is not None
        confirmed = confirm_grade(session=session, answer=answer)
        assert (confirmed.source, confirmed.score) == ("reviewed", grade.score)
        override_grade(session=session, answer=answer, score=35)
        with pytest.raises(ExampleError):
            override_grade(session=session, answer=answer, score=140)
        session.commit()
    with database.session() as session:
        rows = session.scalars(select(ExampleAnswer).where(ExampleAnswer.source != "notes")).all()
        assert [(r.source, r.score, r.answer_id) for r in rows] == [("override", 35.0, answer.id)]
        question = _question(session, "What does dropout do?")
        exemplars = grading_question(question, user_id=user.id).exemplars
        assert [(e.text, e.score, e.source) for e in exemplars] == [
            ("It zeroes random activations while training.", 35.0, "override")
        ]
        # Someone else's grading of the question never sees it.
        assert grading_question(question, user_id=user.id + 1).exemplars == ()


def test_a_notes_file_s_examples_calibrate_its_other_questions(database: Database) -> None:
    with database.session() as session:
        import_reg(session)
        user = ensure_local_user(session=session)
        dropout = _question(session, "What does dropout do?")
        bank = example_bank(session=session, source_file_id=dropout.source_file_id, user_id=user.id)
        assert bank is not None
        # Newest first; each example with the question it answers and all its references.
        assert [(e.question.question, e.exemplar.score) for e in bank.examples] == [
            ("What is overfitting?", 0.0),
            ("What is overfitting?", 50.0),
            ("What is overfitting?", 100.0),
        ]
        assert len(bank.examples[0].question.reference_answers) == 2

        # The grading worker grades dropout's answer with the overfitting examples' cut.
        answer, grade = answer_and_grade(
            session=session,
            user=user,
            question=dropout,
            text="It zeroes random activations.",
            grader=ReferenceGrader(OverlapGrader(), embedder=FakeEmbedder),
            max_chars=20_000,
        )
        assert grade is not None
        assert grade.details["exemplars"]["threshold_from"] == "bank"
        assert grade.details["exemplars"]["bank_count"] == 3

        # A person's override joins their bank, nobody else's.
        override_grade(session=session, answer=answer, score=90)
        session.flush()
        mine = example_bank(session=session, source_file_id=dropout.source_file_id, user_id=user.id)
        theirs = example_bank(
            session=session, source_file_id=dropout.source_file_id, user_id=user.id + 1
        )
        assert mine is not None and theirs is not None
        assert mine.examples[0].exemplar.text == "It zeroes random activations."
        assert (len(mine.examples), len(theirs.examples)) == (4, 3)
        assert mine.key != theirs.key
