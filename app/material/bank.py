"""Reading the question bank: listing, filtering and grouping questions by part and topic.

A user sees the questions of their own banks (notes files) and of published ones; every
reader takes the user's id (None only on the command line, which sees everything).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from app.grading.base import Bank, BankExample, Exemplar, ExemplarSource, GradingQuestion
from app.grading.exemplars import BANK_EXAMPLES, spread
from app.models import ExampleAnswer, Part, Question, SourceFile, Topic


@dataclass(frozen=True)
class QuestionView:
    """A question as listed: where it sits in the notes and its reference answer."""

    id: int
    part: str
    part_number: int
    topic: str
    topic_number: int
    topic_id: int
    question: str
    reference_answer: str
    source: str
    source_id: int
    version: int
    follow_up: bool
    retired: bool
    key_points: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, question: Question) -> QuestionView:
        """The view of a loaded Question."""
        topic = question.topic
        return cls(
            id=question.id,
            part=topic.part.title,
            part_number=topic.part.number,
            topic=topic.title,
            topic_number=topic.number,
            topic_id=topic.id,
            question=question.text,
            reference_answer=question.reference_answer,
            source=question.source_file.name,
            source_id=question.source_file_id,
            version=question.version,
            follow_up=question.follow_up,
            retired=question.retired,
            key_points=[point.display for point in question.key_points],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class TopicGroup:
    """A topic with its questions, for the bank overview."""

    id: int
    number: int
    title: str
    questions: list[QuestionView] = field(default_factory=list)


@dataclass
class PartGroup:
    """A part of one notes file with its topics."""

    number: int
    title: str
    source: str
    source_id: int = 0
    shared: bool = False  # a bank another user published, not the viewer's own
    topics: list[TopicGroup] = field(default_factory=list)

    @property
    def question_count(self) -> int:
        """Questions in all topics of the part."""
        return sum(len(topic.questions) for topic in self.topics)


@dataclass
class SourceGroup:
    """One notes file of the bank outline with its parts."""

    source_id: int
    name: str
    shared: bool
    parts: list[PartGroup]

    @property
    def question_count(self) -> int:
        """Questions in all parts of the file."""
        return sum(part.question_count for part in self.parts)


def by_source(parts: list[PartGroup]) -> list[SourceGroup]:
    """The outline's parts grouped by notes file, in bank order. Files are told apart by id:
    a user's own `day1.txt` and a published `day1.txt` are two groups."""
    groups: dict[int, SourceGroup] = {}
    for part in parts:
        group = groups.setdefault(
            part.source_id,
            SourceGroup(source_id=part.source_id, name=part.source, shared=part.shared, parts=[]),
        )
        group.parts.append(part)
    return list(groups.values())


def visible_sources(user_id: int) -> Any:
    """The ids of the banks `user_id` sees: their own and the published ones."""
    return select(SourceFile.id).where(
        or_(SourceFile.user_id == user_id, SourceFile.published.is_(True))
    )


def visible_to(user_id: int | None) -> Any:
    """A condition on Question: in a bank `user_id` sees (always true for None)."""
    if user_id is None:
        return true()
    return Question.source_file_id.in_(visible_sources(user_id))


def _query(
    *,
    user_id: int | None,
    topic: str | None = None,
    part: str | None = None,
    search: str | None = None,
    include_retired: bool = False,
) -> Select[Question]:
    query = (
        select(Question)
        .join(Question.topic)
        .join(Topic.part)
        .join(Question.source_file)
        .where(visible_to(user_id))
        .order_by(SourceFile.name, SourceFile.id, Part.number, Topic.number, Question.position)
    )
    if not include_retired:
        query = query.where(Question.retired.is_(False))
    if topic:
        query = query.where(
            or_(func.lower(Topic.title).contains(topic.lower()), _id_match(Topic.id, topic))
        )
    if part:
        query = query.where(
            or_(func.lower(Part.title).contains(part.lower()), _id_match(Part.number, part))
        )
    if search:
        needle = f"%{search.lower()}%"
        query = query.where(
            or_(func.lower(Question.text).like(needle), func.lower(Topic.title).like(needle))
        )
    return query


# No id is larger; a larger number would overflow SQLite's and PostgreSQL's 64-bit integers.
LARGEST_ID = 2**53 - 1


def _id_match(column: Any, value: str) -> Any:
    return column == int(value) if value.isdigit() and int(value) <= LARGEST_ID else False


def list_questions(
    *,
    session: Session,
    user_id: int | None,
    topic: str | None = None,
    part: str | None = None,
    search: str | None = None,
    include_retired: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[QuestionView]:
    """Questions in bank order, filtered by topic/part (title substring or number) and text."""
    query = _query(
        user_id=user_id, topic=topic, part=part, search=search, include_retired=include_retired
    )
    query = query.options(
        selectinload(Question.key_points),
        selectinload(Question.topic).selectinload(Topic.part),
        selectinload(Question.source_file),
    )
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [QuestionView.of(q) for q in session.scalars(query)]


def count_questions(
    *,
    session: Session,
    user_id: int | None,
    topic: str | None = None,
    part: str | None = None,
    search: str | None = None,
    include_retired: bool = False,
) -> int:
    """How many questions list_questions would return without limit/offset."""
    query = _query(
        user_id=user_id, topic=topic, part=part, search=search, include_retired=include_retired
    )
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def get_question(*, session: Session, user_id: int | None, question_id: int) -> Question | None:
    """One question the user sees, by id (retired ones included, so old answers keep their
    question); None when there is none or it is in someone else's unpublished bank."""
    return session.scalar(select(Question).where(Question.id == question_id, visible_to(user_id)))


def grading_question(
    question: Question, *, user_id: int | None, bank: Bank | None = None
) -> GradingQuestion:
    """The grader's view of a stored question for grading `user_id`'s answers: its references,
    key points, and the graded examples of the notes and of that user (None: the notes' only);
    `bank` the graded examples of its notes file (`example_bank`).

    Another person's examples never count: on a published bank, one user's "I disagree" would
    change everyone's grades, and the card that quotes the closest example would show them
    someone else's answer.
    """
    return _asked(
        question,
        exemplars=tuple(
            _exemplar(e)
            for e in question.example_answers
            if e.user_id is None or e.user_id == user_id
        ),
        bank=bank,
    )


def _asked(
    question: Question, *, exemplars: tuple[Exemplar, ...] = (), bank: Bank | None = None
) -> GradingQuestion:
    """The question, its references and key points (with `exemplars` and `bank` if given)."""
    return GradingQuestion(
        question=question.text,
        reference_answer=question.reference_answer,
        key_points=tuple(point.display for point in question.key_points),
        content_hash=question.content_hash,
        reference_answers=tuple(question.reference_answers),
        exemplars=exemplars,
        bank=bank,
    )


def _exemplar(example: ExampleAnswer) -> Exemplar:
    return Exemplar(
        text=example.text, score=example.score, source=cast(ExemplarSource, example.source)
    )


def examples_visible(user_id: int | None) -> Any:
    """A condition on ExampleAnswer: the notes' own and `user_id`'s (the notes' only: None)."""
    if user_id is None:
        return ExampleAnswer.user_id.is_(None)
    return or_(ExampleAnswer.user_id.is_(None), ExampleAnswer.user_id == user_id)


def example_bank(*, session: Session, source_file_id: int, user_id: int | None) -> Bank | None:
    """The graded examples of a notes file's active questions that count for `user_id`, as
    the bank its questions are calibrated on; None when it has none.

    The newest examples first, drawn in turn from the questions, at most BANK_EXAMPLES: what
    the person said lately of the grader's verdicts weighs more than what they said long ago.
    """
    rows = session.scalars(
        select(ExampleAnswer)
        .join(Question, Question.id == ExampleAnswer.question_id)
        .where(
            Question.source_file_id == source_file_id,
            ~Question.retired,
            examples_visible(user_id),
        )
        .order_by(ExampleAnswer.id.desc())
        # Enough to draw BANK_EXAMPLES across the questions, not a lifetime of overrides.
        .limit(4 * BANK_EXAMPLES)
        .options(selectinload(ExampleAnswer.question).selectinload(Question.key_points))
    ).all()
    if not rows:
        return None
    by_question: dict[int, list[ExampleAnswer]] = {}
    for row in rows:
        by_question.setdefault(row.question_id, []).append(row)
    groups = [
        [BankExample(_asked(answers[0].question), _exemplar(e)) for e in answers]
        for answers in by_question.values()
    ]
    return Bank(tuple(spread(groups, BANK_EXAMPLES)))


class ExampleBanks:
    """`example_bank` per (notes file, user), read once within one unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._banks: dict[tuple[int, int | None], Bank | None] = {}

    def of(self, question: Question, user_id: int | None) -> Bank | None:
        """The bank `question`'s notes file gives `user_id`'s answers."""
        key = (question.source_file_id, user_id)
        if key not in self._banks:
            self._banks[key] = example_bank(
                session=self.session, source_file_id=key[0], user_id=user_id
            )
        return self._banks[key]


def grading_question_for_turn(
    question: Question,
    *,
    user_id: int,
    prompt: str | None,
    focus_point: str | None,
    banks: ExampleBanks | None = None,
) -> GradingQuestion:
    """What a turn of `user_id`'s is graded against: a follow-up only against the key point
    it asks about (its bank, read from `banks`, does not apply: the point is not the
    question)."""
    if not focus_point:
        bank = banks.of(question, user_id) if banks is not None else None
        return grading_question(question, user_id=user_id, bank=bank)
    return GradingQuestion(
        question=prompt or question.text,
        reference_answer=focus_point,
        key_points=(focus_point,),
        content_hash=None,
    )


@dataclass(frozen=True)
class SourceSummary:
    """A notes file the user sees, how many active questions it holds, and whether it is theirs."""

    id: int
    name: str
    question_count: int
    imported_at: datetime
    own: bool


def source_summaries(*, session: Session, user_id: int) -> list[SourceSummary]:
    """The notes files with active questions the user sees, by name, with question counts."""
    rows = session.execute(
        select(
            SourceFile.id,
            SourceFile.name,
            SourceFile.imported_at,
            SourceFile.user_id,
            func.count(Question.id),
        )
        .join(Question, Question.source_file_id == SourceFile.id)
        .where(Question.retired.is_(False), SourceFile.id.in_(visible_sources(user_id)))
        .group_by(SourceFile.id, SourceFile.name, SourceFile.imported_at, SourceFile.user_id)
        .order_by(SourceFile.name, SourceFile.id)
    )
    return [
        SourceSummary(
            id=id_, name=name, question_count=count, imported_at=imported_at, own=owner == user_id
        )
        for id_, name, imported_at, owner, count in rows
    ]


def bank_outline(*, session: Session, user_id: int | None) -> list[PartGroup]:
    """Active questions the user sees grouped by notes file, part and topic, in bank order."""
    groups: dict[tuple[int, int], PartGroup] = {}
    topics: dict[int, TopicGroup] = {}
    owners: dict[int, int | None] = {}
    if user_id is not None:
        owned = select(SourceFile.id, SourceFile.user_id).where(
            SourceFile.id.in_(visible_sources(user_id))
        )
        owners = {source_id: owner for source_id, owner in session.execute(owned)}
    for view in list_questions(session=session, user_id=user_id):
        part = groups.setdefault(
            (view.source_id, view.part_number),
            PartGroup(
                number=view.part_number,
                title=view.part,
                source=view.source,
                source_id=view.source_id,
                shared=user_id is not None and owners.get(view.source_id) != user_id,
            ),
        )
        topic = topics.get(view.topic_id)
        if topic is None:
            topic = topics[view.topic_id] = TopicGroup(
                id=view.topic_id, number=view.topic_number, title=view.topic
            )
            part.topics.append(topic)
        topic.questions.append(view)
    return list(groups.values())
