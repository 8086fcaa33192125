"""Reading the "start a mock interview" form into a session config, with clear messages."""

from __future__ import annotations

from typing import cast

from app.practice.errors import NotFoundError, PracticeError
from app.practice.sessions import MAX_QUESTIONS, Order, SessionConfig
from app.schemas import MAX_ID

ORDERS: dict[str, str] = {"random": "Random", "weakest": "Weakest first"}
MAX_TIME_LIMIT_S = 3600


def _ids(values: list[str], what: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(v) for v in values if v.strip())
    except ValueError:
        raise PracticeError(f"{what} ids must be numbers") from None
    for value in ids:
        if not 1 <= value <= MAX_ID:
            raise NotFoundError(f"there is no {what} {value}")
    return ids


def parse_start_form(
    *,
    topic_ids: list[str],
    question_ids: list[str],
    count: str,
    order: str,
    time_limit_s: str,
) -> SessionConfig:
    """The session config the form asks for; PracticeError (422) naming the bad field."""
    try:
        how_many = int(count)
    except ValueError:
        raise PracticeError(f"Number of questions must be a whole number, not {count!r}.") from None
    if not 1 <= how_many <= MAX_QUESTIONS:
        raise PracticeError(f"Number of questions must be between 1 and {MAX_QUESTIONS}.")
    if order not in ORDERS:
        raise PracticeError(f"Order must be one of: {', '.join(ORDERS)}.")
    limit: int | None = None
    if time_limit_s.strip():
        try:
            limit = int(time_limit_s)
        except ValueError:
            raise PracticeError("Time limit must be a whole number of seconds.") from None
        if not 10 <= limit <= MAX_TIME_LIMIT_S:
            raise PracticeError(f"Time limit must be between 10 and {MAX_TIME_LIMIT_S} seconds.")
    return SessionConfig(
        topic_ids=_ids(topic_ids, "topic"),
        question_ids=_ids(question_ids, "question"),
        count=how_many,
        order=cast(Order, order),
        time_limit_s=limit,
    )
