"""Import parsed notes into the bank: idempotent, versioned, retiring what left the file."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.grading.key_points import KeyPoint, extract_key_points
from app.material.notes import (
    DEFAULT_MAX_ANSWER_CHARS,
    ParsedNotes,
    ParsedQuestion,
    check_sizes,
    question_key,
)
from app.material.parser import parse_notes, read_notes_file
from app.models import (
    ExampleAnswer,
    Part,
    Question,
    QuestionRevision,
    SourceFile,
    StoredKeyPoint,
    Topic,
    utcnow,
)
from app.practice.errors import NotFoundError


@dataclass(frozen=True)
class ImportReport:
    """What one import did to the bank."""

    source: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    # The questions this import added, so a person can practise them straight away.
    new_question_ids: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        """Questions the file holds."""
        return self.new + self.updated + self.unchanged

    def summary(self) -> str:
        """One line for people: 'day1.txt: 8 new, 0 updated, 0 unchanged, 0 retired'."""
        return (
            f"{self.source}: {self.new} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired"
        )


def import_notes_file(
    *,
    session: Session,
    path: Path,
    user_id: int,
    max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS,
) -> ImportReport:
    """Parse a notes file and import it as the user's bank; a bad file raises NotesError and
    imports nothing."""
    return import_parsed_notes(
        session=session,
        notes=read_notes_file(path),
        user_id=user_id,
        max_answer_chars=max_answer_chars,
    )


def import_notes_text(
    *,
    session: Session,
    text: str,
    name: str,
    user_id: int,
    publish: bool = False,
    max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS,
) -> ImportReport:
    """Parse notes given as text under a file name (uploads) and import them as the user's."""
    return import_parsed_notes(
        session=session,
        notes=parse_notes(text, source=name),
        user_id=user_id,
        publish=publish,
        max_answer_chars=max_answer_chars,
    )


def import_parsed_notes(
    *,
    session: Session,
    notes: ParsedNotes,
    user_id: int,
    publish: bool = False,
    max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS,
) -> ImportReport:
    """Bring the user's bank of this file name in line with a parsed file: add new, version
    changed, retire removed. Another user's bank of the same name is never touched.

    NotesError, before anything is written, when a question or answer is over its limit.
    """
    check_sizes(notes, max_answer_chars=max_answer_chars)
    source = _source_file(session, notes, user_id)
    if publish:
        source.published = True
    existing = {
        q.key: q
        for q in session.scalars(
            select(Question)
            .where(Question.source_file_id == source.id)
            .options(selectinload(Question.key_points), selectinload(Question.example_answers))
        )
    }
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    topics = _TopicCache(session, source)
    added: list[Question] = []
    for position, (key, parsed) in enumerate(_keyed(notes.questions)):
        seen.add(key)
        topic = topics.get(parsed)
        question = existing.get(key)
        if question is None:
            question = Question(source_file=source, key=key, version=1)
            _apply(session, question, parsed, topic, position)
            session.add(question)
            added.append(question)
            counts["new"] += 1
        elif question.content_hash == parsed.content_hash and not question.retired:
            question.position = position
            question.topic = topic
            _refresh_key_points(session, question)
            counts["unchanged"] += 1
            continue
        elif question.content_hash == parsed.content_hash:
            # Back in the file unchanged: restored, same version.
            question.retired, question.retired_at = False, None
            question.position, question.topic = position, topic
            counts["updated"] += 1
            continue
        else:
            question.version += 1
            question.retired, question.retired_at = False, None
            _apply(session, question, parsed, topic, position)
            counts["updated"] += 1
        question.revisions.append(
            QuestionRevision(
                version=question.version,
                text=question.text,
                reference_answer=question.reference_answer,
                content_hash=question.content_hash,
            )
        )
    for key, question in existing.items():
        if key not in seen and not question.retired:
            question.retired, question.retired_at = True, utcnow()
            counts["retired"] += 1
    session.flush()
    return ImportReport(source=notes.source, new_question_ids=tuple(q.id for q in added), **counts)


def retire_source(*, session: Session, user_id: int, source_id: int) -> int:
    """Retire every active question of the user's own notes file (kept for history); how many
    were retired. Another user's file, published or not, is NotFoundError."""
    source = session.get(SourceFile, source_id)
    if source is None or source.user_id != user_id:
        raise NotFoundError(f"notes file {source_id} not found")
    questions = session.scalars(
        select(Question).where(Question.source_file_id == source.id, Question.retired.is_(False))
    ).all()
    now = utcnow()
    for question in questions:
        question.retired, question.retired_at = True, now
    session.flush()
    return len(questions)


def publish_bank(*, session: Session, user_id: int, name: str, published: bool = True) -> bool:
    """Publish (or withdraw) a user's bank: a published one is seen by every user.

    False when the user has no bank of that name.
    """
    source = session.scalar(
        select(SourceFile).where(SourceFile.user_id == user_id, SourceFile.name == name)
    )
    if source is None:
        return False
    source.published = published
    session.flush()
    return True


def _source_file(session: Session, notes: ParsedNotes, user_id: int) -> SourceFile:
    digest = hashlib.sha256(
        "\x1e".join(q.content_hash for q in notes.questions).encode()
    ).hexdigest()
    source = session.scalar(
        select(SourceFile).where(SourceFile.user_id == user_id, SourceFile.name == notes.source)
    )
    if source is None:
        source = SourceFile(
            user_id=user_id, name=notes.source, format=notes.format, content_hash=digest
        )
        session.add(source)
        session.flush()
    elif source.content_hash != digest:
        source.content_hash, source.format, source.imported_at = digest, notes.format, utcnow()
    return source


def _keyed(questions: list[ParsedQuestion]) -> list[tuple[str, ParsedQuestion]]:
    """Each question with its identity; repeats of the same text in one file get '#2', '#3'."""
    seen: Counter[str] = Counter()
    keyed = []
    for parsed in questions:
        base = question_key(parsed.question)
        seen[base] += 1
        keyed.append((base if seen[base] == 1 else f"{base}#{seen[base]}", parsed))
    return keyed


def _apply(
    session: Session, question: Question, parsed: ParsedQuestion, topic: Topic, position: int
) -> None:
    question.topic = topic
    question.position = position
    question.text = parsed.question
    question.reference_answer = parsed.answer
    question.content_hash = parsed.content_hash
    question.follow_up = parsed.follow_up
    question.alternative_answers = list(parsed.alternatives)
    _replace_key_points(session, question, extract_key_points(parsed.answer))
    _replace_notes_examples(question, parsed)


def _replace_notes_examples(question: Question, parsed: ParsedQuestion) -> None:
    """The notes' own graded examples follow the notes; reviewed and overridden ones stay."""
    kept = [e for e in question.example_answers if e.source != "notes"]
    question.example_answers = [
        *kept,
        *(ExampleAnswer(text=e.text, score=e.score, source="notes") for e in parsed.examples),
    ]


def _refresh_key_points(session: Session, question: Question) -> None:
    """Re-split an unchanged answer: a newer splitter's points replace the stored ones."""
    points = extract_key_points(question.reference_answer)
    stored = [(p.label, p.text) for p in question.key_points]
    if stored != [(p.label, p.text) for p in points]:
        _replace_key_points(session, question, points)


def _replace_key_points(session: Session, question: Question, points: list[KeyPoint]) -> None:
    if question.key_points:
        # Old points go first: new ones reuse their (question, position) slots.
        question.key_points.clear()
        session.flush()
    question.key_points = [
        StoredKeyPoint(position=i, label=point.label, text=point.text)
        for i, point in enumerate(points)
    ]


class _TopicCache:
    """Parts and topics of one source file, created or renamed as the notes say."""

    def __init__(self, session: Session, source: SourceFile) -> None:
        self._session = session
        self._source = source
        self._parts = {
            p.number: p
            for p in session.scalars(select(Part).where(Part.source_file_id == source.id))
        }
        self._topics: dict[tuple[int, int], Topic] = {
            (p.number, t.number): t for p in self._parts.values() for t in p.topics
        }

    def get(self, parsed: ParsedQuestion) -> Topic:
        part = self._parts.get(parsed.part_number)
        if part is None:
            part = Part(source_file=self._source, number=parsed.part_number, title="")
            self._session.add(part)
            self._parts[parsed.part_number] = part
        part.title = parsed.part_title
        topic = self._topics.get((parsed.part_number, parsed.topic_number))
        if topic is None:
            topic = Topic(part=part, number=parsed.topic_number, title="")
            self._session.add(topic)
            self._topics[(parsed.part_number, parsed.topic_number)] = topic
        topic.title = parsed.topic_title
        return topic
