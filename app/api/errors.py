"""The API's one error shape, its exception handlers and its request body size limit.

Handlers are registered on the whole app (FastAPI has no per-router handlers), so each one
answers in the API shape only for /api paths and hands every other request to the handler
that was there before (the HTML pages keep their own error handling).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from app.grading.base import UnknownGraderError
from app.practice.errors import (
    AnswerTooLongError,
    GraderUnavailable,
    GradingFailed,
    InterviewFinished,
    NotFoundError,
    PracticeError,
)
from app.schemas import SHAPE_TAGS, ErrorBody, ErrorResponse
from app.security.body_limit import BodyLimit

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
# A floor so that small settings never make ordinary requests too large.
MIN_BODY_BYTES = 1 << 20
# JSON and UTF-8 can take up to about twice the characters of a text in bytes (more for
# escaped control characters, which no real answer is made of).
BYTES_PER_CHAR = 2

Handler = Callable[[Request, Any], Awaitable[Response]]
AnyHandler = Callable[[Request, Any], Response | Awaitable[Response]]

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


# The API's status and error code of each domain error; the most specific class that matches
# wins (a subclass is listed before its base).
DOMAIN_ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (AnswerTooLongError, 413, "answer_too_long"),
    (NotFoundError, 404, "not_found"),
    (InterviewFinished, 409, "session_finished"),
    (PracticeError, 422, "invalid_request"),
    (UnknownGraderError, 422, "unknown_grader"),
    (GraderUnavailable, 503, "grader_unavailable"),
    (GradingFailed, 503, "grading_failed"),
)


# FastAPI's detail for a body it could read but not decode.
_UNPARSABLE_BODY = "There was an error parsing the body"


class ApiError(Exception):
    """An error the API reports with a status, a code, a message and optional details."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def is_api_path(request: Request) -> bool:
    """True for requests the API answers (its error shape applies)."""
    return request.url.path.startswith(API_PREFIX) or request.url.path == API_PREFIX.rstrip("/")


def error_body(code: str, message: str, details: Any = None) -> ErrorBody:
    """An ErrorBody; used for whole responses and for single batch items."""
    return ErrorBody(code=code, message=message, details=details)


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON response in the API's error shape."""
    body = ErrorResponse(error=error_body(code, message, details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


def documented(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses: each with its description and the error shape."""
    return {
        status: {"model": ErrorResponse, "description": description}
        for status, description in descriptions.items()
    }


def validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Where and why validation failed, without echoing the input back.

    The input can be huge (a long answer) or not even JSON-serialisable (NaN), and `ctx`
    may hold exception objects; location, message and type are what a client needs.
    """
    details = []
    for error in errors:
        loc = _location(error)
        details.append(
            {"loc": loc, "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}
        )
    return details


def _location(error: Any) -> list[int | str]:
    return [
        part if isinstance(part, int | str) else str(part)
        for part in error.get("loc", ())
        if part not in SHAPE_TAGS
    ]


def describe_validation(errors: Sequence[Any]) -> str:
    """A one-line message naming the first problem."""
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(part) for part in _location(first) if part != "body")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where or 'request'}: {first.get('msg', 'invalid')}{more}"


def install(app: FastAPI) -> None:
    """Register the handlers and the body size limit on the app."""
    settings = app.state.settings
    limit = max(
        MIN_BODY_BYTES, settings.max_batch_items * settings.max_answer_chars * BYTES_PER_CHAR
    )
    app.state.api_max_body_bytes = limit
    app.state.body_limits.append(BodyLimit(API_PREFIX, limit, _body_too_large))

    def chain(exc_class: type[Exception], api: Handler, default: Handler | None) -> None:
        previous: AnyHandler | None = app.exception_handlers.get(exc_class) or default

        async def handler(request: Request, exc: Any) -> Response:
            if is_api_path(request):
                return await api(request, exc)
            if previous is None:
                raise exc
            response = previous(request, exc)
            return await response if inspect.isawaitable(response) else response

        app.add_exception_handler(exc_class, handler)

    chain(ApiError, _api_error, None)
    chain(StarletteHTTPException, _http_error, http_exception_handler)
    chain(RequestValidationError, _request_validation_error, request_validation_exception_handler)
    chain(ValidationError, _response_validation_error, None)
    for exc_class, _status, _code in DOMAIN_ERRORS:
        chain(exc_class, _domain_error, None)
    chain(Exception, _internal_error, _plain_internal_error)


async def _api_error(_request: Request, exc: ApiError) -> Response:
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        # Bytes that are not UTF-8, or JSON nested too deep to parse: malformed JSON like
        # any other, so the same 422 as FastAPI gives for a syntax error.
        return error_response(422, "validation_error", "the body is not valid JSON")
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    details = None if isinstance(exc.detail, str) else exc.detail
    return error_response(exc.status_code, code, message, details, exc.headers)


async def _request_validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    if any(error.get("loc", ("",))[0] == "path" for error in errors):
        # An id out of range (or not a number) in the URL names nothing: 404, as for any
        # other id that names nothing, whatever else is wrong with the request.
        return error_response(404, "not_found", f"nothing at {request.url.path}")
    return error_response(
        422, "validation_error", describe_validation(errors), validation_details(errors)
    )


async def _response_validation_error(request: Request, exc: ValidationError) -> Response:
    log.error("invalid data on %s: %s", request.url.path, exc)
    return error_response(500, "internal_error", "the server produced an invalid response")


def domain_error(exc: Exception, known_graders: Sequence[str]) -> tuple[int, ErrorBody]:
    """The status and error body of a domain error (see DOMAIN_ERRORS)."""
    status, code = next(
        ((status, code) for cls, status, code in DOMAIN_ERRORS if isinstance(exc, cls)),
        (500, "internal_error"),
    )
    if isinstance(exc, UnknownGraderError):
        return status, error_body(
            code, f"unknown grader {exc.name!r}", {"known_graders": list(known_graders)}
        )
    if status == 500:
        log.error("unexpected error", exc_info=exc)
        return status, error_body(code, "internal server error")
    return status, error_body(code, str(exc))


async def _domain_error(request: Request, exc: Exception) -> Response:
    status, body = domain_error(exc, request.app.state.graders.names())
    return JSONResponse(ErrorResponse(error=body).model_dump(mode="json"), status_code=status)


def _body_too_large(_scope: Scope, max_bytes: int) -> Response:
    return error_response(
        413,
        "body_too_large",
        f"request body is over the limit of {max_bytes:,} bytes",
        {"max_bytes": max_bytes},
    )


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


async def _plain_internal_error(_request: Request, _exc: Exception) -> Response:
    # What Starlette answers when no handler is registered for Exception.
    return PlainTextResponse("Internal Server Error", status_code=500)
