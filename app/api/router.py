"""The /api/v1 router and the API's error handlers."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response

from app.accounts.current import current_user
from app.api import errors, questions, reviews, score, sessions, transfer
from app.api.errors import ApiError, documented
from app.health import respond_health
from app.practice.scoring import BankQuestions
from app.schemas import HealthOut
from app.voice import api as voice_api

_ERRORS = documented(
    {
        401: "No valid API key (AUTH=password, or API_KEYS_REQUIRED=true).",
        404: "Not found.",
        413: "Answer over 20,000 characters, or request body over the size limit.",
        422: "Invalid input.",
    }
)

router = APIRouter(prefix="/api/v1", responses=_ERRORS)


@router.get("/healthz", tags=["health"], response_model=HealthOut)
def api_healthz(request: Request, response: Response) -> dict[str, Any]:
    """Readiness of the database and the grader (open without an API key, like /healthz)."""
    return respond_health(request, response)


# Flat (no router in between): every level of nesting is matched again on each request.
for _module in (score, questions, sessions, reviews, transfer, voice_api):
    router.include_router(_module.router, dependencies=[Depends(current_user)])


@router.get("/{path:path}", include_in_schema=False, dependencies=[Depends(current_user)])
def unknown_path(request: Request, path: str) -> None:
    """Any other GET under /api/v1: a 404 (or 405) in the API's shape, not the HTML 404 page."""
    allowed = _allowed_methods(request.app, request.url.path)
    if allowed:
        raise ApiError(
            405, "method_not_allowed", "Method Not Allowed", headers={"Allow": ", ".join(allowed)}
        )
    raise ApiError(404, "not_found", f"no API endpoint at /api/v1/{path}")


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    # The OpenAPI paths are the API's own list of what exists; routers are nested too deeply
    # to match against directly.
    for template, operations in app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path):
            return sorted(method.upper() for method in operations)
    return []


def install_error_handlers(app: FastAPI) -> None:
    """Register the API's exception handlers and body size limit on the app."""
    errors.install(app)
    app.state.api_questions = BankQuestions()
    _document_server(app)


def _document_server(app: FastAPI) -> None:
    """Make /openapi.json say what this server does: its graders, whether keys are required."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        graders = app.state.grader_names
        for component in schema.get("components", {}).get("schemas", {}).values():
            grader = component.get("properties", {}).get("grader")
            for choice in (grader or {}).get("anyOf", []):
                if choice.get("type") == "string":
                    choice["enum"] = graders
        if not app.state.settings.api_keys_enforced:
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.pop("security", None)
                    operation.get("responses", {}).pop("401", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
