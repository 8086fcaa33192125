"""Cross-site request forgery: cross-site requests refused, and a token on every browser write.

Two checks, in every AUTH mode:

* `CrossSiteMiddleware` refuses (403) any state-changing request a browser marks as coming
  from another site: an `Origin` that is `null` or names another host, or
  `Sec-Fetch-Site: cross-site`/`same-site`. It runs before the body is read, and on /api too,
  so a page elsewhere cannot use a visitor's browser against the API either. Clients that
  are not browsers (curl, scripts) send neither header and are not affected.
* `require_csrf_token` (a dependency of every web route) wants the token on every
  state-changing request: the hidden `csrf_token` form field, or the `X-CSRF-Token` header
  htmx sends. The token is an HMAC, under the server's secret key, of a random secret kept
  in the browser's `HttpOnly`, `SameSite=Lax` cookie; a page on another site can neither read
  the cookie nor compute the token, and a cookie planted by a sibling domain does not come
  with a valid token for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import pass_context
from markupsafe import Markup
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

COOKIE_NAME = "mi_csrf"
FORM_FIELD = "csrf_token"
HEADER_NAME = "X-CSRF-Token"
# A year: a tab left open for days still submits; the secret carries no identity or rights.
COOKIE_MAX_AGE_S = 365 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# What a browser says in Sec-Fetch-Site about where a request comes from; only our own
# origin ("same-origin") and a user's own action ("none": typed, bookmarked) are accepted.
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})
SECRET_KEY_FILE = "secret_key"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfError(Exception):
    """A state-changing browser request without a valid CSRF token, or from another site."""


def load_secret_key(configured: str | None, data_dir: Path) -> bytes:
    """SECRET_KEY when set, else a random key kept in DATA_DIR/secret_key (created once)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / SECRET_KEY_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes().strip()
            if len(key) >= 32:
                return key
            # Another process is writing it this instant, or it was truncated: a fresh one.
            key = secrets.token_urlsafe(48).encode("ascii")
            path.write_bytes(key)
            return key
        key = secrets.token_urlsafe(48).encode("ascii")
        with os.fdopen(fd, "wb") as file:
            file.write(key)
        return key
    except OSError as exc:
        # A read-only data folder: tokens then last as long as this process (a restart asks
        # open pages to be reloaded once). SECRET_KEY avoids it.
        log.warning("cannot keep a secret key in %s (%s); using one for this process", path, exc)
        return secrets.token_urlsafe(48).encode("ascii")


class CsrfTokens:
    """Makes and checks the tokens for the browser secrets in the cookie."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def token_for(self, browser_secret: str) -> str:
        """The token pages put in their forms for this browser."""
        digest = hmac.new(self._key, browser_secret.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def is_valid(self, token: str | None, browser_secret: str | None) -> bool:
        """True when `token` was made for this browser's secret."""
        if not token or not browser_secret:
            return False
        return hmac.compare_digest(token.encode("utf-8"), self.token_for(browser_secret).encode())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookie_secret(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(COOKIE_NAME)
    except Exception:  # a malformed Cookie header is no secret
        return None
    value = morsel.value if morsel else None
    # Only what we would have made: 43 URL-safe characters (32 random bytes).
    if value and len(value) == 43 and value.replace("-", "").replace("_", "").isalnum():
        return value
    return None


def cross_site_reason(scope: Scope) -> str | None:
    """Why the browser says this request comes from another site, or None."""
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in ALLOWED_FETCH_SITES:
        return f"the browser says it was sent from another site (Sec-Fetch-Site: {fetch_site})"
    origin = _header(scope, b"origin")
    if origin is None:
        return None
    host = (_header(scope, b"host") or "").strip().lower()
    origin = origin.strip().lower()
    if origin == "null":
        return "it comes from a page without an origin (Origin: null)"
    _scheme, sep, netloc = origin.partition("://")
    if not sep or netloc.rstrip("/") != host:
        return "it was sent from another site's page"
    return None


class CrossSiteMiddleware:
    """Refuses cross-site state-changing requests; gives every browser its CSRF secret cookie."""

    def __init__(self, app: ASGIApp, *, tokens: CsrfTokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check where an unsafe request comes from; set the cookie when the browser has none."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secret = _cookie_secret(scope)
        is_new = secret is None
        if secret is None:
            secret = secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["csrf_secret"] = secret
        state["csrf_tokens"] = self.tokens
        if scope["method"] not in SAFE_METHODS:
            reason = cross_site_reason(scope)
            if reason is not None:
                await _refuse(scope, receive, send, f"Request refused: {reason}.")
                return
        if not is_new or scope["path"].startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = (
                    f"{COOKIE_NAME}={secret}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; "
                    "HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
                )
                MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    """403 in the API's error shape on /api, else the HTML error page."""
    # Imported here: the pages' error rendering imports this module (CsrfError).
    from app.api.errors import error_response
    from app.web.render import error_page

    response: Response
    if scope["path"].startswith("/api/") or scope["path"] == "/api":
        response = error_response(403, "cross_site_request", message)
    else:
        response = error_page(Request(scope, receive), status_code=403, message=message)
    response.headers["Connection"] = "close"  # the body is left unread
    await response(scope, receive, send)


async def require_csrf_token(request: Request) -> None:
    """Dependency of the web routes: CsrfError unless an unsafe request carries its token."""
    if request.method in SAFE_METHODS:
        return
    token = request.headers.get(HEADER_NAME)
    content_type = request.headers.get("content-type", "").lower()
    if token is None and content_type.startswith(_FORM_TYPES):
        # FastAPI has parsed (and cached) the form already for routes with form fields.
        value = (await request.form()).get(FORM_FIELD)
        token = value if isinstance(value, str) else None
    tokens: CsrfTokens | None = getattr(request.state, "csrf_tokens", None)
    # Without the cookie the secret is one made for this request: no token can match it.
    secret: str | None = getattr(request.state, "csrf_secret", None)
    if tokens is None or not tokens.is_valid(token, secret):
        raise CsrfError(
            "This form was sent without a valid security token. Your browser may have "
            "blocked cookies, or the page is older than the server's key: reload the page "
            "and submit again."
        )


def csrf_token_for(request: Request) -> str:
    """The token for this request's browser ("" outside the app's middleware)."""
    tokens: CsrfTokens | None = getattr(request.state, "csrf_tokens", None)
    secret: str | None = getattr(request.state, "csrf_secret", None)
    return tokens.token_for(secret) if tokens and secret else ""


@pass_context
def csrf_token(context: Any) -> str:
    """Template function: the CSRF token of the page's request (for `hx-headers`)."""
    return csrf_token_for(context["request"])


@pass_context
def csrf_field(context: Any) -> Markup:
    """Template function: the hidden `csrf_token` field every state-changing form carries."""
    token = csrf_token_for(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(FORM_FIELD, token)
