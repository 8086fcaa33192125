"""Importing notes: idempotent, versioned updates, retiring, and nothing imported from bad files."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.users import ensure_local_user
from app.db import Database
from app.material.bank import list_questions
from app.material.importer import import_notes_file, import_notes_text
from app.material.notes import NotesError
from app.models import Answer, Question, QuestionRevision, StoredKeyPoint
from app.practice.grades import store_answer
from tests.conftest import DAY1

MATERIAL = Path(__file__).parent / "material"


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_empty_database_gets_day1_on_first_use(database: Database) -> None:
    with database.session() as session:
        views = list_questions(session=session, user_id=None)
    assert len(views) == 8
    assert {v.source for v in views} == {"day1.txt"}
    assert all(v.version == 1 and v.key_points for v in views)


def test_reimport_adds_nothing(database: Database) -> None:
    path = MATERIAL / "day2.txt"
    with database.session() as session:
        first = import_notes_file(
            session=session, user_id=ensure_local_user(session=session).id, path=path
        )
    with database.session() as session:
        second = import_notes_file(
            session=session, user_id=ensure_local_user(session=session).id, path=path
        )
    assert (first.new, first.updated, first.unchanged, first.retired) == (4, 0, 0, 0)
    assert (second.new, second.updated, second.unchanged, second.retired) == (0, 0, 4, 0)
    assert _count(database, Question) == 12
    assert _count(database, QuestionRevision) == 12


def test_changed_answer_keeps_id_and_history_and_gets_a_new_version(
    database: Database, tmp_path: Path
) -> None:
    original = (MATERIAL / "day2.txt").read_text()
    with database.session() as session:
        import_notes_text(
            session=session,
            user_id=ensure_local_user(session=session).id,
            text=original,
            name="day2.txt",
        )
        question = session.scalar(select(Question).where(Question.text == "What is LoRA?"))
        assert question is not None
        question_id = question.id
        user = ensure_local_user(session=session)
        store_answer(session=session, user=user, question=question, text="low-rank adapters")
    changed = original.replace("A small rank such as 8", "A rank between 4 and 16")
    with database.session() as session:
        report = import_notes_text(
            session=session,
            user_id=ensure_local_user(session=session).id,
            text=changed,
            name="day2.txt",
        )
        assert (report.new, report.updated, report.unchanged) == (0, 1, 3)
        question = session.get(Question, question_id)
        assert question is not None
        assert question.version == 2
        assert "between 4 and 16" in question.reference_answer
        assert [r.version for r in question.revisions] == [1, 2]
        assert "such as 8" in question.revisions[0].reference_answer
        assert any("between 4 and 16" in p.text for p in question.key_points)
        answer = session.scalar(select(Answer).where(Answer.question_id == question_id))
        assert answer is not None and answer.question_version == 1


def test_removed_question_is_retired_not_deleted(database: Database) -> None:
    text = (MATERIAL / "day2.txt").read_text()
    with database.session() as session:
        import_notes_text(
            session=session,
            user_id=ensure_local_user(session=session).id,
            text=text,
            name="day2.txt",
        )
    without_lora = text.split("2. Fine-tuning with LoRA")[0] + "Part 2" + text.split("Part 2")[1]
    with database.session() as session:
        report = import_notes_text(
            session=session,
            user_id=ensure_local_user(session=session).id,
            text=without_lora,
            name="day2.txt",
        )
    assert report.retired == 1 and report.unchanged == 3
    with database.session() as session:
        active = [v.question for v in list_questions(session=session, user_id=None)]
        everything = list_questions(session=session, user_id=None, include_retired=True)
    assert "What is LoRA?" not in active
    assert any(v.question == "What is LoRA?" and v.retired for v in everything)
    with database.session() as session:
        back = import_notes_text(
            session=session,
            user_id=ensure_local_user(session=session).id,
            text=text,
            name="day2.txt",
        )
    assert (back.updated, back.retired) == (1, 0)


def test_bad_file_imports_nothing(database: Database) -> None:
    before = _count(database, Question)
    with pytest.raises(NotesError), database.session() as session:
        import_notes_file(
            session=session,
            user_id=ensure_local_user(session=session).id,
            path=MATERIAL / "missing_answer.txt",
        )
    assert _count(database, Question) == before


def test_formats_import_into_the_same_shape(database: Database) -> None:
    for name in ("day2.md", "bank.yaml", "bank.json"):
        with database.session() as session:
            report = import_notes_file(
                session=session, user_id=ensure_local_user(session=session).id, path=MATERIAL / name
            )
        assert report.new >= 2, name
    with database.session() as session:
        views = list_questions(session=session, user_id=None, topic="metrics")
    assert {v.source for v in views} == {"day2.md", "bank.yaml", "bank.json"}


def test_key_points_are_stored_with_labels(database: Database) -> None:
    with database.session() as session:
        labels = set(
            session.scalars(select(StoredKeyPoint.label).where(StoredKeyPoint.label.is_not(None)))
        )
    expected = {
        "Self-Attention",
        "Multi-Head Attention",
        "Random Forest",
        "Dropout (for Neural Networks)",
    }
    assert expected <= labels


def test_large_notes_file_imports(database: Database, tmp_path: Path) -> None:
    parts = []
    for p in range(1, 21):
        parts.append(f"Part {p}: Part title {p}")
        for t in range(1, 26):
            parts.append(f"{t}. Topic {p}-{t}")
            parts.append(f'Interviewer: "Question {p}-{t}: what is concept {t}?"')
            parts.append(
                f'Your Answer: "Concept {t} means something specific. Detail: it has '
                f'parts.\nMore text about concept {t} in part {p}."'
            )
    path = tmp_path / "big.txt"
    path.write_text("\n".join(parts))
    with database.session() as session:
        report = import_notes_file(
            session=session, user_id=ensure_local_user(session=session).id, path=path
        )
    assert report.new == 500
    with database.session() as session:
        again = import_notes_file(
            session=session, user_id=ensure_local_user(session=session).id, path=path
        )
    assert again.unchanged == 500


def test_reimport_refreshes_key_points_split_by_an_older_splitter(database: Database) -> None:
    with database.session() as session:
        question = session.scalar(
            select(Question).where(Question.text.like("%prompt engineering%"))
        )
        assert question is not None
        expected = [p.display for p in question.key_points]
        # As an older splitter would have stored them: one point for the whole answer.
        question.key_points.clear()
        session.flush()
        question.key_points = [
            StoredKeyPoint(position=0, label=None, text=question.reference_answer)
        ]
    with database.session() as session:
        report = import_notes_text(
            session=session,
            user_id=ensure_local_user(session=session).id,
            text=DAY1.read_text(encoding="utf-8"),
            name="day1.txt",
        )
        assert report.unchanged == 8
        question = session.scalar(
            select(Question).where(Question.text.like("%prompt engineering%"))
        )
        assert question is not None
        assert [p.display for p in question.key_points] == expected
