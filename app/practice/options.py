"""How an interview is built: one model, with one set of limits, for the home page's form and
the API's JSON body."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.practice.errors import InvalidOptions
from app.schemas import JSON_INTEGER, Id, Int, Seed

Order = Literal["random", "weakest", "bank"]
ORDERS: tuple[Order, ...] = ("random", "weakest", "bank")
MAX_QUESTIONS = 50
# Per question: long enough to think and answer out loud, short enough to feel like an
# interview; a limit of a few seconds or of hours is a typo, not a plan.
MIN_TIME_LIMIT_S = 10
MAX_TIME_LIMIT_S = 3600
TimeLimit = Annotated[int, Field(ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S), JSON_INTEGER]
MAX_CHOSEN_IDS = 1000


class InterviewOptions(BaseModel):
    """Which questions a mock interview asks, how many, in what order, with what time limit."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {"topic_ids": [1, 2], "count": 5, "order": "random"},
                {"question_ids": [3, 1, 2], "count": 3, "time_limit_s": 120},
            ]
        },
    )

    topic_ids: tuple[Id, ...] = Field(
        default=(), max_length=MAX_CHOSEN_IDS, description="None = all."
    )
    question_ids: tuple[Id, ...] = Field(
        default=(), max_length=MAX_CHOSEN_IDS, description="Exactly these questions, in order."
    )
    count: Int = Field(
        default=5, ge=1, le=MAX_QUESTIONS, description=f"Number of questions (1-{MAX_QUESTIONS})."
    )
    order: Order = "random"
    time_limit_s: TimeLimit | None = Field(
        default=None,
        description=f"Seconds per question ({MIN_TIME_LIMIT_S}-{MAX_TIME_LIMIT_S}); "
        "none = no time limit.",
    )
    seed: Seed | None = Field(default=None, description="For a repeatable draw.")


# What the form says for a value it cannot use, by field: one sentence a person can act on.
_FORM_MESSAGES = {
    "count": f"Number of questions must be a whole number between 1 and {MAX_QUESTIONS}.",
    "order": f"Order must be one of: {', '.join(ORDERS)}.",
    "time_limit_s": "Time limit must be a whole number of seconds between "
    f"{MIN_TIME_LIMIT_S} and {MAX_TIME_LIMIT_S}, or none.",
    "topic_ids": "The chosen topic ids must be numbers of existing topics.",
    "question_ids": "The chosen question ids must be numbers of existing questions.",
    "seed": "The seed must be a whole number.",
}


_ID_NOUNS = {"topic_ids": "topic", "question_ids": "question"}


def _whole(text: str) -> int | str:
    # A form sends text: a whole number becomes one, anything else is left for the model to
    # refuse (with the field's message).
    try:
        return int(text.strip())
    except ValueError:
        return text


def options_from_form(
    *, topic_ids: list[str], question_ids: list[str], count: str, order: str, time_limit_s: str
) -> InterviewOptions:
    """The options a submitted form asks for; InvalidOptions naming the first bad field."""
    values: dict[str, Any] = {
        "topic_ids": [_whole(v) for v in topic_ids if v.strip()],
        "question_ids": [_whole(v) for v in question_ids if v.strip()],
        "count": _whole(count),
        "order": order,
        "time_limit_s": _whole(time_limit_s) if time_limit_s.strip() else None,
    }
    try:
        return InterviewOptions.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0])
        if field in _ID_NOUNS and isinstance(error.get("input"), int):
            # A whole number out of the range of ids: it names nothing.
            raise InvalidOptions(f"There is no {_ID_NOUNS[field]} {error['input']}.") from None
        raise InvalidOptions(_FORM_MESSAGES.get(field, str(exc))) from None
