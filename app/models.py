"""SQLAlchemy models: the question bank, practice sessions, answers, grades and reviews."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


GRADING_PENDING = "pending"
GRADING_RUNNING = "running"
GRADING_DONE = "done"
GRADING_FAILED = "failed"


def utcnow() -> datetime:
    """The current time in UTC (stored naive, as SQLite has no time zones)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """A person practising. The first user is the instance's admin (and AUTH=none's user)."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An argon2id hash (pwdlib); None for a user who cannot sign in (the local user of AUTH=none).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())


class SignInSession(Base):
    """A browser's sign-in: the cookie holds a random token, the database only its hash."""

    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SourceFile(Base):
    """A notes file (a bank) questions were imported from, identified by owner and file name.

    Its questions are seen by its owner, and by everyone once an admin publishes it.
    """

    __tablename__ = "source_file"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    published: Mapped[bool] = mapped_column(default=False, server_default=false())
    name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    parts: Mapped[list[Part]] = relationship(back_populates="source_file")


class Part(Base):
    """A numbered part of a notes file ("Part 1: LLMs, Transformers...")."""

    __tablename__ = "part"
    __table_args__ = (UniqueConstraint("source_file_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_file_id: Mapped[int] = mapped_column(ForeignKey("source_file.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))

    source_file: Mapped[SourceFile] = relationship(back_populates="parts")
    topics: Mapped[list[Topic]] = relationship(back_populates="part", order_by="Topic.number")


class Topic(Base):
    """A numbered topic inside a part ("1. Transformers")."""

    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("part_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))

    part: Mapped[Part] = relationship(back_populates="topics")
    questions: Mapped[list[Question]] = relationship(
        back_populates="topic", order_by="Question.position"
    )


class Question(Base):
    """An interviewer question with its current reference answer; retired, never deleted."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("source_file_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_file_id: Mapped[int] = mapped_column(ForeignKey("source_file.id"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    key: Mapped[str] = mapped_column(String(1000))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    reference_answer: Mapped[str] = mapped_column(Text)
    # Other answers the notes accept; an answer is graded against the one it matches best.
    alternative_answers: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    follow_up: Mapped[bool] = mapped_column(default=False)
    retired: Mapped[bool] = mapped_column(default=False, index=True)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    source_file: Mapped[SourceFile] = relationship()
    topic: Mapped[Topic] = relationship(back_populates="questions")
    key_points: Mapped[list[StoredKeyPoint]] = relationship(
        back_populates="question", order_by="StoredKeyPoint.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[QuestionRevision]] = relationship(
        back_populates="question", order_by="QuestionRevision.version"
    )
    example_answers: Mapped[list[ExampleAnswer]] = relationship(
        back_populates="question", order_by="ExampleAnswer.id", cascade="all, delete-orphan"
    )

    @property
    def reference_answers(self) -> list[str]:
        """The main reference answer first, then the alternatives."""
        return [self.reference_answer, *self.alternative_answers]


class QuestionRevision(Base):
    """Each version of a question's text and reference answer, so old grades keep their context."""

    __tablename__ = "question_revision"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    reference_answer: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship(back_populates="revisions")


class StoredKeyPoint(Base):
    """One point a good answer covers, split from the reference answer at import."""

    __tablename__ = "key_point"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)

    question: Mapped[Question] = relationship(back_populates="key_points")

    @property
    def display(self) -> str:
        """The point as shown: 'Label: text' or the text alone."""
        return f"{self.label}: {self.text}" if self.label else self.text


class ExampleAnswer(Base):
    """A graded example answer to a question: from the notes, a reviewed attempt or an override."""

    __tablename__ = "example_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    score: Mapped[float]
    # "notes" (replaced on re-import), "reviewed" or "override" (kept across imports).
    source: Mapped[str] = mapped_column(String(20))
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer.id", ondelete="SET NULL"), index=True
    )
    # Whose example it is: the person whose answer it was ("reviewed", "override"), used only
    # when grading their answers; None for the notes' own, which everyone's grading uses.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship(back_populates="example_answers")


class Interview(Base):
    """A mock interview: an ordered list of questions (and follow-ups) for one user."""

    __tablename__ = "practice_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)

    user: Mapped[User] = relationship()
    items: Mapped[list[InterviewItem]] = relationship(
        back_populates="interview", order_by="InterviewItem.position", cascade="all, delete-orphan"
    )


class InterviewItem(Base):
    """One turn of an interview: a bank question, or a follow-up on a missed key point."""

    __tablename__ = "session_item"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Column names kept from when interviews were called practice sessions.
    interview_id: Mapped[int] = mapped_column(
        "session_id", ForeignKey("practice_session.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="question")
    prompt: Mapped[str | None] = mapped_column(Text)
    # A follow-up is graded against the key point it asks about, not the whole reference.
    focus_point: Mapped[str | None] = mapped_column(Text)
    parent_item_id: Mapped[int | None] = mapped_column(ForeignKey("session_item.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    interview: Mapped[Interview] = relationship(back_populates="items")
    question: Mapped[Question] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="item", order_by="Answer.created_at"
    )


class Answer(Base):
    """What a person typed for a question; stored before it is graded."""

    __tablename__ = "answer"
    __table_args__ = (Index("ix_answer_user_question", "user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    question_version: Mapped[int]
    # The interview turn it answers, if any (the column keeps its first name).
    item_id: Mapped[int | None] = mapped_column(
        "session_item_id", ForeignKey("session_item.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    time_taken_ms: Mapped[int | None]
    # A repeated submit with the same key returns this answer instead of storing another.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    # The grading queue lives on the answer: workers claim pending rows, grade them with no
    # transaction open, and store the grade; a crashed worker's claim runs out with its lease.
    grader: Mapped[str | None] = mapped_column(String(50))
    grading_state: Mapped[str] = mapped_column(
        String(20), default=GRADING_PENDING, server_default=GRADING_PENDING, index=True
    )
    grading_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    grading_lease_until: Mapped[datetime | None]
    grading_error: Mapped[str | None] = mapped_column(Text)

    question: Mapped[Question] = relationship()
    item: Mapped[InterviewItem | None] = relationship(back_populates="answers")
    grades: Mapped[list[StoredGrade]] = relationship(
        back_populates="answer", order_by="StoredGrade.created_at", cascade="all, delete-orphan"
    )


class StoredGrade(Base):
    """A grader's judgement of an answer; an answer may be graded several times."""

    __tablename__ = "grade"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"), index=True)
    score: Mapped[float]
    verdict: Mapped[str] = mapped_column(String(30))
    feedback: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    grader: Mapped[str] = mapped_column(String(50))
    grader_version: Mapped[str] = mapped_column(String(50))
    fallback: Mapped[bool] = mapped_column(default=False)
    elapsed_ms: Mapped[float] = mapped_column(default=0.0)
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    answer: Mapped[Answer] = relationship(back_populates="grades")


class Review(Base):
    """A user's FSRS card for a question: when to review it next and how well it is held.

    Derived from the user's review log of the question (`ReviewLog`): replaying the log through
    the scheduler rebuilds it, which is how overrides and migrations change it.
    """

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(index=True)
    # FSRS card state: "learning", "review" or "relearning"; stability in days, difficulty 1-10.
    state: Mapped[str] = mapped_column(String(20), default="learning")
    stability: Mapped[float | None]
    difficulty: Mapped[float | None]
    last_review_at: Mapped[datetime | None]
    reps: Mapped[int] = mapped_column(default=0)
    lapses: Mapped[int] = mapped_column(default=0)
    last_score: Mapped[float | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReviewLog(Base):
    """One review of a question: the rating a grade (or the person) gave, kept for the optimizer."""

    __tablename__ = "review_log"
    __table_args__ = (
        Index("ix_review_log_user_question", "user_id", "question_id"),
        Index("ix_review_log_user_reviewed_at", "user_id", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer.id", ondelete="SET NULL"), index=True
    )
    # FSRS rating: 1 Again, 2 Hard, 3 Good, 4 Easy.
    rating: Mapped[int]
    score: Mapped[float | None]
    # "grade" (a grader's), "self" (the person's override) or "skip" ("I don't know").
    source: Mapped[str] = mapped_column(String(20), default="grade")
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int | None]


class ReviewPreference(Base):
    """A user's own review settings; absent means the server's defaults."""

    __tablename__ = "review_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    desired_retention: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Heartbeat(Base):
    """The last time a process wrote here: the health check's write probe, workers' liveness."""

    __tablename__ = "heartbeat"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A key for the REST API, acting as the user it belongs to; only its hash is stored."""

    __tablename__ = "api_key"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Recording(Base):
    """A spoken answer: its transcript and delivery figures, tied to the answer it became.

    Kept beside the answer rather than in it, so the way answers are stored and graded can
    change without touching delivery; the audio is kept only with VOICE_KEEP_AUDIO.
    """

    __tablename__ = "recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    model: Mapped[str] = mapped_column(String(100))
    transcript: Mapped[str] = mapped_column(Text)
    duration_s: Mapped[float]
    speaking_s: Mapped[float]
    word_count: Mapped[int]
    fillers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    long_pauses: Mapped[list[Any]] = mapped_column(default=list)
    words: Mapped[list[Any]] = mapped_column(default=list)
    audio_file: Mapped[str | None] = mapped_column(String(255))
    audio_type: Mapped[str | None] = mapped_column(String(100))
