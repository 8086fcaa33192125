"""Who a request acts as: the `CurrentUser` dependency every web and API route takes.

AUTH=none: the instance's first user (the local admin), or with API_KEYS_REQUIRED the owner
of the API key. AUTH=password: the user of the session cookie on pages (no valid session:
303 to /sign-in), the owner of the Bearer key on /api/v1 (no valid key: 401).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.accounts.api_keys import authenticate
from app.accounts.sign_in import COOKIE_NAME, resolve_session
from app.accounts.users import Account
from app.api.errors import ApiError
from app.config import Settings
from app.db import Database
from app.security.rate_limit import ApiRateLimits, client_address

API_PREFIX = "/api/"
SIGN_IN_PATH = "/sign-in"

bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `mock-interview api-key create NAME --user USER`; it acts as "
    "its user. Needed with AUTH=password (or API_KEYS_REQUIRED=true).",
)


class SignInRequired(Exception):
    """A page asked for without a valid sign-in; answered with the way to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in first")
        self.next_path = next_path


def local_path(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site ("/history?x=1"), else `default`.

    Refuses anything a browser would take elsewhere: a scheme, "//host", a backslash, controls.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 0x20 or char == "\\" for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def sign_in_url(next_path: str) -> str:
    """The sign-in page, coming back to `next_path` afterwards."""
    target = local_path(next_path)
    return SIGN_IN_PATH if target == "/" else f"{SIGN_IN_PATH}?next={quote(target, safe='/')}"


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def _key_owner(database: Database, key: str) -> Account | None:
    # Its own short transaction: the key's last use is recorded even if the request fails.
    with database.session() as session:
        found = authenticate(session=session, key=key)
        return Account.of(found.user) if found is not None else None


async def _api_account(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Account:
    settings: Settings = request.app.state.settings
    if not settings.api_keys_enforced:
        local: Account = request.app.state.local_account
        return local
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
    account = await run_in_threadpool(
        _key_owner, request.app.state.database, credentials.credentials
    )
    if account is None:
        # Counted per address: ApiRateLimitMiddleware refuses an address that keeps guessing.
        limits: ApiRateLimits = request.app.state.api_rate_limits
        limits.record_auth_failure(client_address(request.scope))
        raise _unauthorized("the API key is not valid or has been revoked")
    return account


def _session_account(request: Request) -> Account | None:
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return None
    database: Database = request.app.state.database
    with database.session(write=False) as session:
        signed_in = resolve_session(session=session, token=token)
    if signed_in is None:
        return None
    request.state.sign_in_session_id = signed_in.session_id
    return signed_in.account


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Account:
    """The account this request acts as; 401 (API) or the way to sign in (pages) when none."""
    settings: Settings = request.app.state.settings
    if request.url.path.startswith(API_PREFIX):
        account = await _api_account(request, credentials)
    elif settings.auth_mode == "none":
        account = request.app.state.local_account
    else:
        found = await run_in_threadpool(_session_account, request)
        if found is None:
            query = f"?{request.url.query}" if request.url.query else ""
            raise SignInRequired(request.url.path + query if request.method == "GET" else "/")
        account = found
    request.state.account = account
    return account


CurrentUser = Annotated[Account, Depends(current_user)]
