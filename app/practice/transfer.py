"""Export and import of a person's history, and the question bank as notes and as an Anki deck.

The JSON export is a lossless backup: questions are named by notes file and key (not by the
ids of one database), sessions, answers, grades, the review log and the FSRS cards follow in
time order with references local to the file. Importing it into another instance restores the
same history; exporting again gives the same document (apart from `exported_at`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from app.material.bank import bank_outline, visible_to
from app.material.importer import import_notes_text
from app.models import (
    GRADING_DONE,
    Answer,
    ExampleAnswer,
    Interview,
    InterviewItem,
    Question,
    Review,
    ReviewLog,
    ReviewPreference,
    SourceFile,
    StoredGrade,
    Topic,
    utcnow,
)
from app.practice.errors import PracticeError
from app.practice.reviews import DEFAULT_RETENTION, desired_retention, replay
from app.practice.stats import SELF_GRADER

FORMAT = "mock-interview-history"
VERSION = 1


class TransferError(PracticeError):
    """An import document that is not a mock-interview export, or is damaged."""


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="microseconds") + "Z"


def _at(value: Any) -> datetime | None:
    """An exported time back as the naive UTC the database stores."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise TransferError(f"{value!r} is not an ISO 8601 time") from None
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _question_entry(question: Question) -> dict[str, Any]:
    topic = question.topic
    return {
        "source": question.source_file.name,
        "key": question.key,
        "part": {"number": topic.part.number, "title": topic.part.title},
        "topic": {"number": topic.number, "title": topic.title},
        "position": question.position,
        "text": question.text,
        "reference_answer": question.reference_answer,
        "alternative_answers": list(question.alternative_answers),
        "follow_up": question.follow_up,
        "retired": question.retired,
    }


def _grade_entry(grade: StoredGrade) -> dict[str, Any]:
    return {
        "score": grade.score,
        "verdict": grade.verdict,
        "feedback": grade.feedback,
        "details": grade.details,
        "grader": grade.grader,
        "grader_version": grade.grader_version,
        "fallback": grade.fallback,
        "elapsed_ms": grade.elapsed_ms,
        "usage": grade.usage,
        "created_at": _iso(grade.created_at),
    }


def _turn_of(item_id: int | None, item_ref: dict[int, tuple[int, int]]) -> dict[str, int | None]:
    """The session and turn position an answer was given in (None outside an interview)."""
    if item_id is None or item_id not in item_ref:
        return {"session": None, "item_position": None}
    session_ref, position = item_ref[item_id]
    return {"session": session_ref, "item_position": position}


def export_history(*, session: Session, user_id: int) -> dict[str, Any]:
    """A person's whole history as one JSON-ready document."""
    answers = session.scalars(
        select(Answer)
        .where(Answer.user_id == user_id)
        .order_by(Answer.created_at, Answer.id)
        .options(selectinload(Answer.grades))
    ).all()
    practices = session.scalars(
        select(Interview)
        .where(Interview.user_id == user_id)
        .order_by(Interview.created_at, Interview.id)
        .options(selectinload(Interview.items))
    ).all()
    logs = session.scalars(
        select(ReviewLog)
        .where(ReviewLog.user_id == user_id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    ).all()
    cards = session.scalars(select(Review).where(Review.user_id == user_id)).all()
    examples = session.scalars(
        select(ExampleAnswer)
        .join(Answer, Answer.id == ExampleAnswer.answer_id)
        .where(Answer.user_id == user_id)
        .order_by(ExampleAnswer.id)
    ).all()
    question_ids = (
        {a.question_id for a in answers}
        | {i.question_id for p in practices for i in p.items}
        | {log.question_id for log in logs}
        | {c.question_id for c in cards}
    )
    questions = session.scalars(
        select(Question)
        .where(Question.id.in_(question_ids))
        .options(
            selectinload(Question.topic).selectinload(Topic.part),
            selectinload(Question.source_file),
        )
    ).all()
    ordered = sorted(questions, key=lambda q: (q.source_file.name, q.key))
    question_ref = {q.id: n for n, q in enumerate(ordered, start=1)}
    session_ref = {p.id: n for n, p in enumerate(practices, start=1)}
    item_ref: dict[int, tuple[int, int]] = {}
    for interview in practices:
        for item in interview.items:
            item_ref[item.id] = (session_ref[interview.id], item.position)
    answer_ref = {a.id: n for n, a in enumerate(answers, start=1)}
    preference = session.get(ReviewPreference, user_id)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(utcnow()),
        "questions": [{"ref": question_ref[q.id], **_question_entry(q)} for q in ordered],
        "sessions": [
            {
                "ref": session_ref[p.id],
                "created_at": _iso(p.created_at),
                "finished_at": _iso(p.finished_at),
                "config": p.config,
                "items": [
                    {
                        "position": item.position,
                        "question": question_ref[item.question_id],
                        "kind": item.kind,
                        "prompt": item.prompt,
                        "focus_point": item.focus_point,
                        "parent_position": item_ref[item.parent_item_id][1]
                        if item.parent_item_id in item_ref
                        else None,
                        "created_at": _iso(item.created_at),
                    }
                    for item in p.items
                ],
            }
            for p in practices
        ],
        "answers": [
            {
                "ref": answer_ref[a.id],
                "question": question_ref[a.question_id],
                "question_version": a.question_version,
                "session": item_ref[a.item_id][0] if a.item_id in item_ref else None,
                "item_position": item_ref[a.item_id][1] if a.item_id in item_ref else None,
                "text": a.text,
                "created_at": _iso(a.created_at),
                "time_taken_ms": a.time_taken_ms,
                "grader": a.grader,
                "grading_state": a.grading_state,
                "grading_error": a.grading_error,
                "grades": [_grade_entry(g) for g in a.grades],
            }
            for a in answers
        ],
        "review_log": [
            {
                "question": question_ref[log.question_id],
                "answer": answer_ref.get(log.answer_id) if log.answer_id else None,
                "rating": log.rating,
                "score": log.score,
                "source": log.source,
                "reviewed_at": _iso(log.reviewed_at),
                "duration_ms": log.duration_ms,
            }
            for log in logs
        ],
        "cards": sorted(
            (
                {
                    "question": question_ref[c.question_id],
                    "due_at": _iso(c.due_at),
                    "state": c.state,
                    "stability": c.stability,
                    "difficulty": c.difficulty,
                    "last_review_at": _iso(c.last_review_at),
                    "reps": c.reps,
                    "lapses": c.lapses,
                    "last_score": c.last_score,
                }
                for c in cards
            ),
            key=lambda c: c["question"],
        ),
        "examples": [
            {
                "answer": answer_ref[e.answer_id],
                "score": e.score,
                "source": e.source,
            }
            for e in examples
            if e.answer_id in answer_ref
        ],
        "preferences": (
            {"desired_retention": preference.desired_retention} if preference else None
        ),
    }


CSV_COLUMNS = (
    "answered_at",
    "source",
    "part",
    "topic",
    "question",
    "kind",
    "prompt",
    "answer",
    "score",
    "verdict",
    "graded_by",
    "grader_score",
    "skipped",
    "time_taken_ms",
)


def export_csv(*, session: Session, user_id: int) -> str:
    """A person's answers with the grade that counts, one row per answer, as CSV."""
    answers = session.scalars(
        select(Answer)
        .where(Answer.user_id == user_id)
        .order_by(Answer.created_at, Answer.id)
        .options(
            selectinload(Answer.grades),
            selectinload(Answer.item),
            selectinload(Answer.question).selectinload(Question.topic).selectinload(Topic.part),
            selectinload(Answer.question).selectinload(Question.source_file),
        )
    ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for answer in answers:
        grade = answer.grades[-1] if answer.grades else None
        machine = next((g for g in reversed(answer.grades) if g.grader != SELF_GRADER), None)
        item = answer.item
        question = answer.question
        writer.writerow(
            (
                _iso(answer.created_at),
                question.source_file.name,
                question.topic.part.title,
                question.topic.title,
                question.text,
                item.kind if item else "question",
                (item.prompt or question.text) if item else question.text,
                answer.text,
                "" if grade is None else f"{grade.score:g}",
                "" if grade is None else grade.verdict,
                "" if grade is None else grade.grader,
                "" if machine is None else f"{machine.score:g}",
                "yes" if grade is not None and grade.details.get("skipped") else "",
                "" if answer.time_taken_ms is None else answer.time_taken_ms,
            )
        )
    return out.getvalue()


@dataclass(frozen=True)
class ImportReport:
    """What an import added and what it found already there."""

    questions_created: int
    sessions: int
    answers: int
    answers_skipped: int
    reviews: int
    cards: int


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise TransferError(message)


def _notes_for(entries: list[dict[str, Any]], name: str) -> str:
    """Notes text holding `entries` (a notes file's questions), for the real importer."""
    lines = [name]
    by_part: dict[tuple[int, str], dict[tuple[int, str], list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for entry in sorted(entries, key=lambda e: (e["part"]["number"], e["topic"]["number"])):
        part = (int(entry["part"]["number"]), str(entry["part"]["title"]))
        topic = (int(entry["topic"]["number"]), str(entry["topic"]["title"]))
        by_part[part][topic].append(entry)
    for (pnum, ptitle), topics in by_part.items():
        lines.append(f"Part {pnum}: {ptitle}")
        for (tnum, ttitle), questions in topics.items():
            lines.append(f"{tnum}. {ttitle}")
            for entry in sorted(questions, key=lambda e: int(e.get("position", 0))):
                lines.extend(_question_lines(entry["text"], entry["reference_answer"]))
                for alternative in entry.get("alternative_answers") or []:
                    lines.append(f'Your Answer (alternative): "{alternative}"')
    return "\n".join(lines) + "\n"


def _question_lines(question: str, answer: str) -> list[str]:
    return [f'Interviewer: "{question}"', f'Your Answer: "{answer}"']


def _resolve_questions(
    session: Session, user_id: int, entries: list[dict[str, Any]]
) -> tuple[dict[int, int], int]:
    """Local question ids for the export's question refs; questions missing here are imported."""

    def lookup(entry: dict[str, Any]) -> Question | None:
        return session.scalar(
            select(Question)
            .join(SourceFile, SourceFile.id == Question.source_file_id)
            .where(
                SourceFile.name == entry["source"],
                Question.key == entry["key"],
                visible_to(user_id),
            )
        )

    mapping: dict[int, int] = {}
    missing: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        _require(
            all(k in entry for k in ("ref", "source", "key", "text", "reference_answer")),
            "a question entry lacks ref, source, key, text or reference_answer",
        )
        found = lookup(entry)
        if found is not None:
            mapping[int(entry["ref"])] = found.id
        else:
            missing[str(entry["source"])].append(entry)
    created = 0
    for source, group in missing.items():
        exists = session.scalar(
            select(SourceFile.id).where(SourceFile.name == source, SourceFile.user_id == user_id)
        )
        # A notes file of that name already here would lose its other questions if replaced.
        name = source if exists is None else f"imported-{source}"
        import_notes_text(session=session, text=_notes_for(group, name), name=name, user_id=user_id)
        for entry in group:
            question = session.scalar(
                select(Question)
                .join(SourceFile, SourceFile.id == Question.source_file_id)
                .where(
                    SourceFile.name == name,
                    SourceFile.user_id == user_id,
                    Question.text == entry["text"],
                )
            )
            _require(question is not None, f"could not restore question {entry['text'][:60]!r}")
            assert question is not None
            if entry.get("retired"):
                question.retired, question.retired_at = True, utcnow()
            mapping[int(entry["ref"])] = question.id
            created += 1
    return mapping, created


def import_history(
    *, session: Session, user_id: int, document: Any, default_retention: float = DEFAULT_RETENTION
) -> ImportReport:
    """Restore an export into this instance for `user`; answers already here are skipped."""
    _require(isinstance(document, dict), "the import must be a JSON object")
    _require(
        document.get("format") == FORMAT,
        f"not a mock-interview export (format should be {FORMAT!r})",
    )
    _require(
        document.get("version") == VERSION,
        f"unsupported export version {document.get('version')!r}",
    )
    try:
        # A savepoint: a damaged document changes nothing, and the request can still answer.
        with session.begin_nested():
            return _import(session, user_id, document, default_retention)
    except TransferError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, SQLAlchemyError) as exc:
        raise TransferError(f"the export is damaged: {type(exc).__name__}") from None


def _import(
    session: Session, user_id: int, document: dict[str, Any], default_retention: float
) -> ImportReport:
    questions, created = _resolve_questions(session, user_id, list(document.get("questions") or []))

    def question_id(ref: Any) -> int:
        _require(int(ref) in questions, f"unknown question ref {ref!r}")
        return questions[int(ref)]

    items: dict[tuple[int, int], InterviewItem] = {}
    sessions = 0
    # A session already here (imported before) is reused, not copied again.
    here = {
        p.created_at: p
        for p in session.scalars(
            select(Interview)
            .where(Interview.user_id == user_id)
            .options(selectinload(Interview.items))
        )
    }
    for entry in document.get("sessions") or []:
        known = here.get(_at(entry["created_at"]))  # type: ignore[arg-type]
        if known is not None:
            for item in known.items:
                items[(int(entry["ref"]), item.position)] = item
            continue
        interview = Interview(
            user_id=user_id,
            created_at=_at(entry["created_at"]),
            finished_at=_at(entry.get("finished_at")),
            config=dict(entry.get("config") or {}),
        )
        session.add(interview)
        session.flush()
        sessions += 1
        by_position: dict[int, InterviewItem] = {}
        for raw in sorted(entry.get("items") or [], key=lambda i: int(i["position"])):
            item = InterviewItem(
                interview_id=interview.id,
                position=int(raw["position"]),
                question_id=question_id(raw["question"]),
                kind=str(raw.get("kind") or "question"),
                prompt=raw.get("prompt"),
                focus_point=raw.get("focus_point"),
                created_at=_at(raw.get("created_at")) or interview.created_at,
            )
            session.add(item)
            by_position[item.position] = item
            items[(int(entry["ref"]), item.position)] = item
        session.flush()
        for raw in entry.get("items") or []:
            parent = raw.get("parent_position")
            if parent is not None:
                _require(int(parent) in by_position, "a follow-up's parent turn is missing")
                by_position[int(raw["position"])].parent_item_id = by_position[int(parent)].id
    existing = {
        (qid, at, text)
        for qid, at, text in session.execute(
            select(Answer.question_id, Answer.created_at, Answer.text).where(
                Answer.user_id == user_id
            )
        )
    }
    answers: dict[int, Answer] = {}
    skipped = 0
    for entry in document.get("answers") or []:
        qid = question_id(entry["question"])
        created_at = _at(entry["created_at"])
        if (qid, created_at, entry["text"]) in existing:
            skipped += 1
            continue
        turn: InterviewItem | None = None
        if entry.get("session") is not None:
            turn = items.get((int(entry["session"]), int(entry["item_position"])))
            _require(turn is not None, "an answer names a turn the export does not have")
        state = str(entry.get("grading_state") or GRADING_DONE)
        answer = Answer(
            user_id=user_id,
            question_id=qid,
            question_version=int(entry.get("question_version") or 1),
            item=turn,
            text=str(entry["text"]),
            created_at=created_at,
            time_taken_ms=entry.get("time_taken_ms"),
            grader=entry.get("grader"),
            # Grading that was under way in the other instance is queued again here.
            grading_state="pending" if state == "running" else state,
            grading_error=entry.get("grading_error"),
        )
        answer.grades = [
            StoredGrade(
                score=float(g["score"]),
                verdict=str(g["verdict"]),
                feedback=str(g.get("feedback") or ""),
                details=dict(g.get("details") or {}),
                grader=str(g["grader"]),
                grader_version=str(g.get("grader_version") or ""),
                fallback=bool(g.get("fallback")),
                elapsed_ms=float(g.get("elapsed_ms") or 0.0),
                usage=g.get("usage"),
                created_at=_at(g.get("created_at")) or created_at,
            )
            for g in entry.get("grades") or []
        ]
        session.add(answer)
        answers[int(entry["ref"])] = answer
    session.flush()
    for entry in document.get("examples") or []:
        example_of = answers.get(int(entry["answer"]))
        if example_of is not None and example_of.text.strip():
            session.add(
                ExampleAnswer(
                    question_id=example_of.question_id,
                    answer_id=example_of.id,
                    user_id=example_of.user_id,
                    text=example_of.text.strip(),
                    score=float(entry["score"]),
                    source=str(entry["source"]),
                )
            )
    touched: set[int] = set()
    reviews = 0
    for entry in document.get("review_log") or []:
        answer_ref = entry.get("answer")
        if answer_ref is not None and int(answer_ref) not in answers:
            continue  # the answer was here already, and so is its review
        qid = question_id(entry["question"])
        session.add(
            ReviewLog(
                user_id=user_id,
                question_id=qid,
                answer_id=answers[int(answer_ref)].id if answer_ref is not None else None,
                rating=int(entry["rating"]),
                score=entry.get("score"),
                source=str(entry.get("source") or "grade"),
                reviewed_at=_at(entry["reviewed_at"]),
                duration_ms=entry.get("duration_ms"),
            )
        )
        touched.add(qid)
        reviews += 1
    session.flush()
    preferences = document.get("preferences")
    if preferences and session.get(ReviewPreference, user_id) is None:
        session.add(
            ReviewPreference(
                user_id=user_id, desired_retention=float(preferences["desired_retention"])
            )
        )
        session.flush()
    retention = desired_retention(session=session, user_id=user_id, default=default_retention)
    cards = 0
    for entry in document.get("cards") or []:
        qid = question_id(entry["question"])
        if qid not in touched:
            continue
        here = session.scalar(
            select(Review).where(Review.user_id == user_id, Review.question_id == qid)
        )
        if here is None:
            # The card as it was: no replay, so the schedule is exactly the exported one.
            session.add(
                Review(
                    user_id=user_id,
                    question_id=qid,
                    due_at=_at(entry["due_at"]),
                    state=str(entry["state"]),
                    stability=entry.get("stability"),
                    difficulty=entry.get("difficulty"),
                    last_review_at=_at(entry.get("last_review_at")),
                    reps=int(entry.get("reps") or 0),
                    lapses=int(entry.get("lapses") or 0),
                    last_score=entry.get("last_score"),
                )
            )
        else:
            replay(session=session, user_id=user_id, question_id=qid, desired_retention=retention)
        cards += 1
    session.flush()
    return ImportReport(
        questions_created=created,
        sessions=sessions,
        answers=len(answers),
        answers_skipped=skipped,
        reviews=reviews,
        cards=cards,
    )


def bank_notes(*, session: Session, user_id: int) -> str:
    """The active question bank in the notes format `import` reads (parts numbered in order)."""
    alternatives = {
        q.id: list(q.alternative_answers)
        for q in session.scalars(
            select(Question).where(Question.retired.is_(False), visible_to(user_id))
        )
    }
    lines = ["Question bank exported from mock-interview"]
    # Two notes files may both have a "Part 1": number the parts in bank order instead.
    for number, part in enumerate(bank_outline(session=session, user_id=user_id), start=1):
        lines.append(f"Part {number}: {part.title}")
        for topic in part.topics:
            lines.append(f"{topic.number}. {topic.title}")
            for view in topic.questions:
                lines.extend(_question_lines(view.question, view.reference_answer))
                lines.extend(
                    f'Your Answer (alternative): "{alternative}"'
                    for alternative in alternatives.get(view.id, [])
                )
    return "\n".join(lines) + "\n"


ANKI_MODEL_ID = 1_607_392_319
ANKI_FIELDS = ("Question", "Answer", "Topic", "Source")


def bank_apkg(*, session: Session, user_id: int, deck_name: str = "mock-interview") -> bytes:
    """The active question bank as an Anki deck: one note per question, tagged by topic."""
    import genanki

    model = genanki.Model(
        ANKI_MODEL_ID,
        "mock-interview question",
        fields=[{"name": name} for name in ANKI_FIELDS],
        templates=[
            {
                "name": "Answer out loud",
                "qfmt": "<div class=topic>{{Topic}}</div><div class=question>{{Question}}</div>",
                "afmt": "{{FrontSide}}<hr id=answer><div class=answer>{{Answer}}</div>",
            }
        ],
        css=".card { font-family: sans-serif; text-align: left; } "
        ".answer { white-space: pre-wrap; } .topic { color: #5b616b; font-size: 80%; }",
    )
    deck_id = int(hashlib.sha256(deck_name.encode()).hexdigest()[:8], 16)
    deck = genanki.Deck(deck_id, deck_name)
    for part in bank_outline(session=session, user_id=user_id):
        for topic in part.topics:
            tag = "".join(c if c.isalnum() else "_" for c in topic.title)
            for view in topic.questions:
                deck.add_note(
                    genanki.Note(
                        model=model,
                        fields=[
                            _html(view.question),
                            _html(view.reference_answer),
                            _html(topic.title),
                            _html(view.source),
                        ],
                        tags=[tag],
                        guid=genanki.guid_for(view.source, view.question),
                    )
                )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bank.apkg"
        genanki.Package(deck).write_to_file(str(path))
        return path.read_bytes()


def _html(text: str) -> str:
    """Anki fields are HTML: escape the text and keep its line breaks."""
    import html

    return html.escape(text).replace("\n", "<br>")
