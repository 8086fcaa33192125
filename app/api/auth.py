"""Bearer API keys on /api/v1, when API_KEYS_REQUIRED is on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.api.errors import ApiError
from app.api.keys import authenticate
from app.db import Database
from app.deps import AppDatabase, AppSettings
from app.security.rate_limit import ApiRateLimits, client_address

bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `mock-interview api-key create NAME`; needed only when "
    "the server runs with API_KEYS_REQUIRED=true.",
)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


async def require_api_key(
    request: Request,
    settings: AppSettings,
    database: AppDatabase,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Let the request through if keys are not required or it carries an active key."""
    # Async, so that the common case (keys not required) costs no thread-pool hop.
    if not settings.api_keys_required:
        return
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
    if not await run_in_threadpool(_check_key, database, credentials.credentials):
        # Counted per address: ApiRateLimitMiddleware refuses an address that keeps guessing.
        limits: ApiRateLimits = request.app.state.api_rate_limits
        limits.record_auth_failure(client_address(request.scope))
        raise _unauthorized("the API key is not valid or has been revoked")


def _check_key(database: Database, key: str) -> bool:
    # Its own short transaction: the key's last use is recorded even if the request fails.
    with database.session() as session:
        return authenticate(session=session, key=key) is not None
