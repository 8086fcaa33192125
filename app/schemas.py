"""Request and response models of the REST API (pydantic), with the examples /docs shows."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
)

from app.material.notes import MAX_QUESTION_CHARS

# Ids past 2**53 cannot be told apart by JSON clients that read numbers as doubles (and
# SQLite's 64-bit integers end not far above); no bank or history gets near either.
MAX_ID = 2**53 - 1
MAX_REFERENCE_CHARS = 50_000
MAX_KEY_POINTS = 50
MAX_REFERENCES = 20
MAX_GRADER_NAME = 50


def _encodable(text: str) -> str:
    # json.loads lets lone surrogates (\ud800) through; they cannot be stored or sent back.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid unicode (lone surrogate)") from None
    return text


def _utc(value: datetime) -> datetime:
    # Stored naive in UTC (SQLite has no time zones); sent with the zone, as RFC 3339 wants.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _json_integer(value: Any) -> Any:
    # JSON Schema's integer: 3 and 3.0, but neither `true` nor "3" (pydantic's lax mode
    # takes both, its strict mode refuses 3.0).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("Input should be an integer")
        return int(value)
    return value


def _json_number(value: Any) -> Any:
    # JSON Schema's number: 3 and 3.5, but neither `true` nor "3" (pydantic's lax mode takes both).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a number")
    return value


Text = Annotated[str, AfterValidator(_encodable)]
Int = Annotated[int, BeforeValidator(_json_integer)]
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
Id = Annotated[Int, Field(ge=1, le=MAX_ID)]
# For whole numbers with bounds in an optional field: bounds first, then this validator, so
# the schema states them as `minimum` and `maximum` even inside `anyOf` (with null).
JSON_INTEGER = BeforeValidator(_json_integer)
Milliseconds = Annotated[int, Field(ge=0, le=86_400_000), JSON_INTEGER]
Seed = Annotated[int, Field(ge=0, le=MAX_ID), JSON_INTEGER]
GraderName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_GRADER_NAME,
        description="Grader to use (default: the server's GRADER setting).",
    ),
]


def finite(value: float | None) -> float | None:
    """A float fit for JSON: NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# --- errors -----------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """What went wrong: a stable code, a sentence, and optional structured details."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["no question 999"])
    details: Any = None


class ErrorResponse(BaseModel):
    """The one shape of every API error."""

    error: ErrorBody


# --- the bank ---------------------------------------------------------------------------------


class TopicOut(BaseModel):
    """A topic of the bank and how many active questions it has."""

    id: int
    number: int
    title: str
    part: str
    part_number: int
    source: str
    question_count: int


class TopicList(BaseModel):
    """Every topic, in bank order."""

    items: list[TopicOut]


class QuestionOut(BaseModel):
    """A question with its reference answer and key points."""

    id: int
    part: str
    part_number: int
    topic: str
    topic_number: int
    topic_id: int
    question: str
    reference_answer: str
    key_points: list[str]
    source: str
    version: int
    follow_up: bool
    retired: bool


class QuestionPage(BaseModel):
    """One page of questions and the total that match the filters."""

    total: int
    limit: int
    offset: int
    items: list[QuestionOut]


# --- grades -----------------------------------------------------------------------------------


class KeyPointOut(BaseModel):
    """How one key point of the reference fared in the answer."""

    point: str = Field(description="The key point as graded: 'Label: text' or the text alone.")
    label: str = Field(description="A few words: the notes' sub-heading, or the first clause.")
    text: str = Field(description="The key point's full claim.")
    status: Literal["covered", "partial", "missed", "contradicted"]
    evidence: str | None = None
    similarity: float | None = None


class GradeOut(BaseModel):
    """A grade: score 0-100, verdict, key points, feedback, and which grader gave it."""

    score: float = Field(examples=[72.5])
    verdict: Literal["correct", "partially_correct", "incorrect"]
    key_points: list[KeyPointOut]
    feedback: str
    grader: str = Field(examples=["embedding"])
    grader_version: str
    elapsed_ms: float | None = None
    fallback: bool = Field(
        default=False, description="True when the chosen grader fell back to another one."
    )
    fallback_reason: str | None = None
    usage: dict[str, int] | None = Field(default=None, description="Tokens used (LLM grader).")
    reference: int = Field(
        default=0,
        description="Index of the reference answer the answer matched best (0: the main one).",
    )
    decided_by_examples: bool = Field(
        default=False,
        description="True when the question's graded example answers changed the verdict.",
    )


class ScoreByIdRequest(BaseModel):
    """Score an answer to a question of the bank."""

    model_config = ConfigDict(extra="forbid")

    question_id: Id
    answer: Text = Field(description="The answer; at most 20,000 characters (else 413).")
    grader: GraderName | None = None


class ScoreAdHocRequest(BaseModel):
    """Score an answer to a question that is not in the bank."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[Text, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
    reference_answer: Annotated[Text, Field(min_length=1, max_length=MAX_REFERENCE_CHARS)]
    key_points: (
        Annotated[
            list[Annotated[Text, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]],
            Field(max_length=MAX_KEY_POINTS),
        ]
        | None
    ) = Field(default=None, description="Key points; split from the reference when omitted.")
    reference_answers: (
        Annotated[
            list[Annotated[Text, Field(min_length=1, max_length=MAX_REFERENCE_CHARS)]],
            Field(max_length=MAX_REFERENCES),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "Other accepted reference answers; the answer is judged against the one it "
            "matches best (`reference_answer` stays the main one, with the key points)."
        ),
    )
    answer: Text = Field(description="The answer; at most 20,000 characters (else 413).")
    grader: GraderName | None = None


def _score_shape(value: Any) -> str:
    # Pick the shape from the keys, so errors speak of one shape, not of both.
    if isinstance(value, ScoreAdHocRequest):
        return "own"
    if isinstance(value, dict) and ("question" in value or "reference_answer" in value):
        return "own"
    return "bank"


# Tags of the two shapes; error locations leave them out.
SHAPE_TAGS = frozenset({"bank", "own"})
ScoreRequest = Annotated[
    Annotated[ScoreByIdRequest, Tag("bank")] | Annotated[ScoreAdHocRequest, Tag("own")],
    Discriminator(_score_shape),
]

SCORE_EXAMPLES: dict[str, dict[str, Any]] = {
    "bank question": {
        "summary": "An answer to a question of the bank",
        "value": {
            "question_id": 1,
            "answer": "Attention weights each value by the softmax of query-key similarity.",
        },
    },
    "own question": {
        "summary": "An answer to a question outside the bank",
        "value": {
            "question": "What does dropout do?",
            "reference_answer": "Dropout zeroes random activations during training, so the "
            "network cannot rely on any single unit; it acts as a regulariser.",
            "answer": "It randomly drops units while training, which regularises the network.",
        },
    },
}


class ScoreResponse(GradeOut):
    """The grade of one stateless scoring request; nothing is stored."""

    question_id: int | None = None


class BatchScoreRequest(BaseModel):
    """Many answers to grade in one model pass per grader."""

    model_config = ConfigDict(extra="forbid")

    items: list[Any] = Field(
        min_length=1,
        description="Each item has a shape of POST /score: {question_id, answer} or "
        "{question, reference_answer, answer}, optionally `grader`. At most MAX_BATCH_ITEMS "
        "(256 by default) items, else 413. An invalid item is reported in its place.",
    )


BATCH_EXAMPLES: dict[str, dict[str, Any]] = {
    "mixed batch": {
        "summary": "Bank and own questions, one of them invalid",
        "value": {
            "items": [
                {"question_id": 1, "answer": "Softmax over scaled dot products of Q and K."},
                {
                    "question": "What does dropout do?",
                    "reference_answer": "Dropout zeroes random activations during training.",
                    "answer": "It drops random units while training.",
                },
                {"question_id": 1},
            ]
        },
    }
}


class BatchResult(BaseModel):
    """The result of one batch item: a grade, or the error that item alone caused."""

    index: int
    ok: bool
    grade: ScoreResponse | None = None
    error: ErrorBody | None = None


class BatchScoreResponse(BaseModel):
    """One result per item, in input order."""

    results: list[BatchResult]
    graded: int
    failed: int


# --- sessions ---------------------------------------------------------------------------------


class AnswerCreate(BaseModel):
    """An answer to one turn of a session (default: the next unanswered turn)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"answer": "Self-attention lets every token weigh every other token."},
                {"item_id": 12, "answer": "It prevents overfitting.", "time_taken_ms": 45000},
            ]
        },
    )

    item_id: Id | None = Field(default=None, description="The turn; default: the next one.")
    answer: Text = Field(description="At most 20,000 characters (else 413).")
    time_taken_ms: Milliseconds | None = None
    grader: GraderName | None = None
    wait: bool = Field(
        default=False,
        description="Wait for the grade (201 with it) instead of answering at once with the "
        "grading state (202). Not when the queue is over GRADING_QUEUE_LIMIT: then 202.",
    )


class FollowUpCreate(BaseModel):
    """A key point the turn's latest graded answer missed, for the interviewer to ask about."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"point": "Dropout randomly zeroes activations."}]},
    )

    point: Text = Field(
        min_length=1,
        max_length=MAX_REFERENCE_CHARS,
        description="A missed key point's `point`, as the grade lists it.",
    )


class StoredGradeOut(GradeOut):
    """A grade stored for an answer."""

    id: int
    created_at: UtcDatetime


GradingState = Literal["pending", "running", "done", "failed"]


class GradingOut(BaseModel):
    """Where an answer's grading stands in the queue."""

    state: GradingState = Field(description="pending, running, done or failed.")
    attempts: int = Field(description="Tries so far (a failed grader is tried again).")
    error: str | None = Field(description="The last grader error, if any.")
    queue_position: int | None = Field(
        description="While pending: 1 when this answer is the next one a worker takes."
    )
    stalled: bool = Field(
        description="Running, but its worker stopped reporting: POST .../grade to retry."
    )
    poll: str = Field(description="GET this (add ?wait=SECONDS to long-poll) for the grade.")


class AnswerOut(BaseModel):
    """A stored answer, its grades (latest last) and any grading error."""

    id: int
    question_id: int
    question_version: int
    session_id: int | None
    item_id: int | None
    text: str
    created_at: UtcDatetime
    time_taken_ms: int | None
    grading_error: str | None
    grading: GradingOut
    grade: StoredGradeOut | None = Field(description="The latest grade.")
    grades: list[StoredGradeOut]


class SessionItemOut(BaseModel):
    """One turn of a session."""

    id: int
    position: int
    kind: str
    question_id: int
    topic: str
    prompt: str
    answer_ids: list[int]
    score: float | None = Field(description="Score of the latest graded answer.")


class SessionOut(BaseModel):
    """A mock interview: its turns, what comes next and the scores so far."""

    id: int
    created_at: UtcDatetime
    finished_at: UtcDatetime | None
    config: dict[str, Any]
    items: list[SessionItemOut]
    next_item_id: int | None
    average: float | None


class AnswerResult(BaseModel):
    """The stored answer, its grade (null until graded), and the session's next turn."""

    answer: AnswerOut
    grade: StoredGradeOut | None
    grading: GradingOut
    next_item_id: int | None
    session_finished: bool


# --- health -----------------------------------------------------------------------------------


class HealthOut(BaseModel):
    """Readiness of the database and the grader."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description="ok, warming_up or degraded.")
    database: dict[str, Any]
    grader: dict[str, Any]
    voice: dict[str, Any] | None = Field(
        default=None, description="Spoken answers: available, model, ready, loading, error."
    )
    warming_up: list[str]


# --- spaced review ----------------------------------------------------------------------------


class ReviewItemOut(BaseModel):
    """A scheduled question: when it is due and how likely its answer is still recalled."""

    question_id: int
    due_at: UtcDatetime = Field(description="When the question is due (ISO 8601, UTC).")
    retrievability: float = Field(
        ge=0, le=1, description="Predicted chance of recalling the answer now (FSRS)."
    )
    state: Literal["learning", "review", "relearning"]
    stability: float | None = Field(description="Days for recall to fall to 90% (FSRS).")
    reps: int
    lapses: int
    last_score: float | None


class ReviewQueueOut(BaseModel):
    """A person's review queue, most overdue first."""

    items: list[ReviewItemOut]
    desired_retention: float
    due_today: int = Field(description="Due by the end of today (UTC), within the daily limit.")
    new_today: int = Field(description="New questions offered today, within the daily limit.")


class OverrideCreate(BaseModel):
    """The person's own grade of an answer ("I disagree")."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"score": 80}, {"score": 35, "verdict": "incorrect"}]},
    )

    score: Annotated[float, BeforeValidator(_json_number)] = Field(
        ge=0, le=100, allow_inf_nan=False, description="Your score, 0-100."
    )
    verdict: Literal["correct", "partially_correct", "incorrect"] | None = Field(
        default=None, description="Your verdict; default: the one the score earns."
    )
