"""Import parsed notes into the bank: idempotent, versioned, retiring what left the file."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

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
    Base,
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


@dataclass(frozen=True)
class PreparedNotes:
    """Parsed notes with each question's key points split: the CPU-heavy half of an import,
    which needs no database, so it can run in another process (`app.material.preparer`)."""

    notes: ParsedNotes
    key_points: tuple[tuple[KeyPoint, ...], ...]


def prepare_notes(
    notes: ParsedNotes, *, max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS
) -> PreparedNotes:
    """Check the notes' sizes and split every reference answer into its key points.

    NotesError when a question or answer is over its limit.
    """
    check_sizes(notes, max_answer_chars=max_answer_chars)
    return PreparedNotes(
        notes=notes,
        key_points=tuple(tuple(extract_key_points(q.answer)) for q in notes.questions),
    )


def import_parsed_notes(
    *,
    session: Session,
    notes: ParsedNotes | PreparedNotes,
    user_id: int,
    publish: bool = False,
    max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS,
) -> ImportReport:
    """Bring the user's bank of this file name in line with a parsed file: add new, version
    changed, retire removed. Another user's bank of the same name is never touched.

    NotesError, before anything is written, when a question or answer is over its limit.
    Rows are written with bulk statements (a 2 MB file holds ~12,000 key points; one ORM
    object each made the unit of work most of an import's time), and only flushed: the
    caller's transaction is the one boundary, so a failure leaves nothing behind.
    """
    if isinstance(notes, PreparedNotes):
        check_sizes(notes.notes, max_answer_chars=max_answer_chars)
        prepared = notes
    else:
        prepared = prepare_notes(notes, max_answer_chars=max_answer_chars)
    parsed_notes = prepared.notes
    source = _source_file(session, parsed_notes, user_id)
    if publish:
        source.published = True
    existing = {
        row.key: row
        for row in session.execute(
            select(
                Question.id,
                Question.key,
                Question.content_hash,
                Question.retired,
                Question.position,
                Question.topic_id,
                Question.version,
            ).where(Question.source_file_id == source.id)
        )
    }
    keyed = _keyed(parsed_notes.questions)
    topics = _TopicCache(session, source)
    question_topics = [topics.get(parsed) for _, parsed in keyed]
    session.flush()  # the topics' ids
    stored_points = _stored_points(session, source.id)
    writes = _Writes()
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    now = utcnow()
    for position, ((key, parsed), topic, points) in enumerate(
        zip(keyed, question_topics, prepared.key_points, strict=True)
    ):
        seen.add(key)
        row = existing.get(key)
        if row is None:
            writes.new.append((key, parsed, topic.id, position, points))
            counts["new"] += 1
        elif row.content_hash == parsed.content_hash:
            moved = row.position != position or row.topic_id != topic.id
            if row.retired:
                # Back in the file unchanged: restored, same version.
                writes.updates.append(
                    {
                        "id": row.id,
                        "retired": False,
                        "retired_at": None,
                        "position": position,
                        "topic_id": topic.id,
                    }
                )
                counts["updated"] += 1
                continue
            if moved:
                writes.updates.append({"id": row.id, "position": position, "topic_id": topic.id})
            # A newer splitter's points replace the stored ones of an unchanged answer.
            if stored_points.get(row.id, []) != [(p.label, p.text) for p in points]:
                writes.replace_points(row.id, points)
            counts["unchanged"] += 1
        else:
            version = row.version + 1
            writes.updates.append(
                {
                    "id": row.id,
                    "version": version,
                    "retired": False,
                    "retired_at": None,
                    **_content(parsed, topic.id, position),
                }
            )
            writes.replace_points(row.id, points)
            writes.replaced_examples.append(row.id)
            writes.add_examples(row.id, parsed)
            writes.revisions.append(_revision(row.id, version, parsed))
            counts["updated"] += 1
    for key, row in existing.items():
        if key not in seen and not row.retired:
            writes.updates.append({"id": row.id, "retired": True, "retired_at": now})
            counts["retired"] += 1
    new_ids = writes.apply(session, source_id=source.id)
    return ImportReport(source=parsed_notes.source, new_question_ids=new_ids, **counts)


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


def _content(parsed: ParsedQuestion, topic_id: int, position: int) -> dict[str, Any]:
    """A question row's columns that come from the notes."""
    return {
        "topic_id": topic_id,
        "position": position,
        "text": parsed.question,
        "reference_answer": parsed.answer,
        "content_hash": parsed.content_hash,
        "follow_up": parsed.follow_up,
        "alternative_answers": list(parsed.alternatives),
    }


def _revision(question_id: int, version: int, parsed: ParsedQuestion) -> dict[str, Any]:
    return {
        "question_id": question_id,
        "version": version,
        "text": parsed.question,
        "reference_answer": parsed.answer,
        "content_hash": parsed.content_hash,
    }


def _stored_points(session: Session, source_id: int) -> dict[int, list[tuple[str | None, str]]]:
    """Each question's stored key points (label, text), in order."""
    points: dict[int, list[tuple[str | None, str]]] = {}
    for question_id, label, text in session.execute(
        select(StoredKeyPoint.question_id, StoredKeyPoint.label, StoredKeyPoint.text)
        .join(Question, Question.id == StoredKeyPoint.question_id)
        .where(Question.source_file_id == source_id)
        .order_by(StoredKeyPoint.question_id, StoredKeyPoint.position)
    ):
        points.setdefault(question_id, []).append((label, text))
    return points


def _table(model: type[Base]) -> Table:
    # Core statements on the table, not the ORM's bulk insert: that one splits the rows into a
    # statement per run of rows with the same None columns (a point with a label, one without).
    return cast(Table, model.__table__)


# Ids per IN (...) list: far below every SQLite build's limit on bound parameters.
_CHUNK = 500


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


@dataclass
class _Writes:
    """What an import writes, gathered first and then sent as a few bulk statements."""

    new: list[tuple[str, ParsedQuestion, int, int, tuple[KeyPoint, ...]]] = field(
        default_factory=list
    )
    updates: list[dict[str, Any]] = field(default_factory=list)
    replaced_points: list[int] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    # Questions whose examples from the notes are replaced; reviewed and overridden ones stay.
    replaced_examples: list[int] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)

    def replace_points(self, question_id: int, points: tuple[KeyPoint, ...]) -> None:
        self.replaced_points.append(question_id)
        self.add_points(question_id, points)

    def add_points(self, question_id: int, points: tuple[KeyPoint, ...]) -> None:
        self.points += [
            {"question_id": question_id, "position": i, "label": p.label, "text": p.text}
            for i, p in enumerate(points)
        ]

    def add_examples(self, question_id: int, parsed: ParsedQuestion) -> None:
        self.examples += [
            {"question_id": question_id, "text": e.text, "score": e.score, "source": "notes"}
            for e in parsed.examples
        ]

    def apply(self, session: Session, *, source_id: int) -> tuple[int, ...]:
        """Write everything (flushed, not committed); the new questions' ids in file order."""
        new_ids: list[int] = []
        if self.new:
            new_ids = list(
                session.scalars(
                    insert(_table(Question)).returning(
                        _table(Question).c.id, sort_by_parameter_order=True
                    ),
                    [
                        {
                            "source_file_id": source_id,
                            "key": key,
                            "version": 1,
                            **_content(parsed, topic_id, position),
                        }
                        for key, parsed, topic_id, position, _ in self.new
                    ],
                )
            )
            for question_id, (_, parsed, _, _, points) in zip(new_ids, self.new, strict=True):
                self.add_points(question_id, points)
                self.add_examples(question_id, parsed)
                self.revisions.append(_revision(question_id, 1, parsed))
        if self.updates:
            session.execute(update(Question), self.updates)
        # Old points go first: new ones reuse their (question, position) slots.
        for ids in _chunks(self.replaced_points):
            session.execute(delete(StoredKeyPoint).where(StoredKeyPoint.question_id.in_(ids)))
        for ids in _chunks(self.replaced_examples):
            session.execute(
                delete(ExampleAnswer).where(
                    ExampleAnswer.question_id.in_(ids), ExampleAnswer.source == "notes"
                )
            )
        for model, rows in (
            (StoredKeyPoint, self.points),
            (ExampleAnswer, self.examples),
            (QuestionRevision, self.revisions),
        ):
            if rows:
                session.execute(insert(_table(model)), rows)
        # Bulk statements bypass the identity map: objects of these rows that the session
        # already holds are reloaded when next used.
        for instance in list(session.identity_map.values()):
            if isinstance(instance, (Question, StoredKeyPoint, ExampleAnswer, QuestionRevision)):
                session.expire(instance)
        return tuple(new_ids)


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
