"""Account pages: sign in, sign out, change password, and open sign-up when it is on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.api_keys import ApiKeyError, create_api_key, list_api_keys, revoke_api_key
from app.accounts.current import CurrentUser, current_user, local_path
from app.accounts.limits import SignInLimiter
from app.accounts.passwords import PasswordError, Passwords, new_password_hash
from app.accounts.sign_in import COOKIE_NAME, check_password, end_session, start_session
from app.accounts.users import AccountError, create_user, set_password
from app.config import Settings
from app.deps import AppDatabase, AppSettings, DbSession
from app.security.csrf import require_csrf_token
from app.web.render import HtmlErrorRoute, error_page, render

# Both want the CSRF token on a state change, as every web route does (a forged sign-in
# would sign a victim's browser in to the attacker's account).
router = APIRouter(
    include_in_schema=False,
    route_class=HtmlErrorRoute,
    dependencies=[Depends(require_csrf_token)],
)
# Pages of a signed-in user: main.py includes the open ones without the dependency.
signed_in = APIRouter(
    include_in_schema=False,
    route_class=HtmlErrorRoute,
    dependencies=[Depends(current_user), Depends(require_csrf_token)],
)

MAX_FIELD_CHARS = 1024
FieldText = Annotated[str, Form(max_length=MAX_FIELD_CHARS)]


def _passwords(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


def _client(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For when FORWARDED_ALLOW_IPS says)."""
    return request.client.host if request.client else "unknown"


def _set_cookie(request: Request, response: Response, token: str, max_age_s: int) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=max_age_s,
        httponly=True,
        samesite="lax",
        # HTTPS as the server sees it: directly, or said by a proxy FORWARDED_ALLOW_IPS trusts.
        secure=request.url.scheme == "https",
        path="/",
    )


def _sign_in_page(
    request: Request,
    *,
    next_path: str,
    name: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    response = render(
        request,
        "sign_in.html",
        {"next": next_path, "name": name, "error": error},
        status_code=status_code,
    )
    response.headers.update(headers or {})
    return response


@router.get("/sign-in", response_class=HTMLResponse, name="sign_in")
def sign_in_form(request: Request, settings: AppSettings, next: str = "/") -> Response:
    """The sign-in form (with AUTH=none there is nothing to sign in to: the home page)."""
    if settings.auth_mode == "none":
        return RedirectResponse("/", status_code=303)
    return _sign_in_page(request, next_path=local_path(next))


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return f"{text[:1].upper()}{text[1:]}."


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    database: AppDatabase,
    settings: AppSettings,
    name: FieldText = "",
    password: FieldText = "",
    next: FieldText = "/",
) -> Response:
    """Check the name and password; on success a new session cookie and on to `next`.

    Failures count per account name and per client address; past either limit, 429.
    """
    if settings.auth_mode == "none":
        return RedirectResponse("/", status_code=303)
    target = local_path(next)
    limiter: SignInLimiter = request.app.state.sign_in_limiter
    address = _client(request)
    wait = limiter.retry_after(name=name, address=address)
    if wait is not None:
        return _sign_in_page(
            request,
            next_path=target,
            name=name,
            error=f"Too many failed sign-ins. Try again in {wait} seconds.",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    user_id = check_password(
        database=database, passwords=_passwords(request), name=name, password=password
    )
    if user_id is None:
        limiter.failed(name=name, address=address)
        return _sign_in_page(
            request,
            next_path=target,
            name=name,
            error="That name and password do not match an account.",
            status_code=401,
        )
    limiter.succeeded(name=name)
    with database.session() as session:
        previous = request.cookies.get(COOKIE_NAME)
        if previous:  # signing in again (as anyone) ends the browser's earlier session
            end_session(session=session, token=previous)
        started = start_session(session=session, user_id=user_id, days=settings.session_days)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(request, response, started.token, started.max_age_s)
    return response


@signed_in.post("/sign-out", name="sign_out")
def sign_out(request: Request, session: DbSession, user: CurrentUser) -> Response:
    """End this browser's session (the row is revoked, not only the cookie dropped)."""
    token = request.cookies.get(COOKIE_NAME)
    if token:
        end_session(session=session, token=token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


def _password_page(
    request: Request, *, error: str | None = None, done: bool = False, status_code: int = 200
) -> HTMLResponse:
    return render(
        request, "account_password.html", {"error": error, "done": done}, status_code=status_code
    )


@signed_in.get("/account/password", response_class=HTMLResponse, name="change_password")
def password_form(request: Request, user: CurrentUser, settings: AppSettings) -> HTMLResponse:
    """The change-of-password form."""
    if settings.auth_mode == "none":
        return error_page(request, status_code=404, message="AUTH=none has no passwords.")
    return _password_page(request)


@signed_in.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    database: AppDatabase,
    settings: AppSettings,
    user: CurrentUser,
    current: FieldText = "",
    new: FieldText = "",
    repeat: FieldText = "",
) -> HTMLResponse:
    """Change the password after checking the current one; other browsers are signed out."""
    if settings.auth_mode == "none":
        return error_page(request, status_code=404, message="AUTH=none has no passwords.")
    passwords = _passwords(request)
    checked = check_password(
        database=database, passwords=passwords, name=user.name, password=current
    )
    if checked != user.id:
        return _password_page(request, error="The current password is not right.", status_code=422)
    if new != repeat:
        return _password_page(request, error="The new passwords differ.", status_code=422)
    try:
        password_hash = new_password_hash(passwords, new)
        with database.session() as session:
            set_password(
                session=session,
                user_id=user.id,
                password_hash=password_hash,
                keep_session_id=getattr(request.state, "sign_in_session_id", None),
            )
    except (PasswordError, AccountError) as exc:
        return _password_page(request, error=_sentence(exc), status_code=422)
    return _password_page(request, done=True)


def _keys_page(
    request: Request,
    session: Session,
    user_id: int,
    *,
    new_key: str | None = None,
    new_name: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "keys": list_api_keys(session=session, user_id=user_id),
        "new_key": new_key,
        "new_name": new_name,
        "error": error,
    }
    return render(request, "account_api_keys.html", context, status_code=status_code)


@signed_in.get("/account/api-keys", response_class=HTMLResponse, name="api_keys")
def api_keys(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    """The user's API keys (revoked ones too) and the form that creates one."""
    return _keys_page(request, session, user.id)


@signed_in.post("/account/api-keys", response_class=HTMLResponse)
def create_key(
    request: Request, session: DbSession, user: CurrentUser, name: FieldText = ""
) -> HTMLResponse:
    """Create a key and show it, this once: only its hash is stored."""
    try:
        key = create_api_key(session=session, user_id=user.id, name=name)
    except ApiKeyError as exc:
        return _keys_page(request, session, user.id, error=_sentence(exc), status_code=422)
    return _keys_page(request, session, user.id, new_key=key, new_name=name.strip())


@signed_in.post("/account/api-keys/revoke", response_class=HTMLResponse)
def revoke_key(
    request: Request, session: DbSession, user: CurrentUser, name: FieldText = ""
) -> Response:
    """Revoke one of the user's keys by name: it stops working at once."""
    try:
        revoke_api_key(session=session, user_id=user.id, name=name)
    except ApiKeyError as exc:
        return _keys_page(request, session, user.id, error=_sentence(exc), status_code=422)
    return RedirectResponse(signed_in.url_path_for("api_keys"), status_code=303)


def _sign_up_open(settings: Settings) -> bool:
    return settings.open_sign_up and settings.auth_mode == "password"


@router.get("/sign-up", response_class=HTMLResponse, name="sign_up")
def sign_up_form(request: Request, settings: AppSettings) -> Response:
    """The sign-up form, when OPEN_SIGN_UP is on (else the sign-in page)."""
    if not _sign_up_open(settings):
        return RedirectResponse("/sign-in" if settings.auth_mode == "password" else "/", 303)
    return render(request, "sign_up.html", {"name": "", "error": None})


@router.post("/sign-up", response_class=HTMLResponse)
def sign_up(
    request: Request,
    database: AppDatabase,
    settings: AppSettings,
    name: FieldText = "",
    password: FieldText = "",
    repeat: FieldText = "",
) -> Response:
    """Create an account (never an admin) and sign it in."""
    if not _sign_up_open(settings):
        return RedirectResponse("/sign-in" if settings.auth_mode == "password" else "/", 303)
    try:
        if password != repeat:
            raise PasswordError("the passwords differ")
        password_hash = new_password_hash(_passwords(request), password)
        with database.session() as session:
            user, _claimed = create_user(
                session=session, name=name, password_hash=password_hash, claim_local=False
            )
            started = start_session(session=session, user_id=user.id, days=settings.session_days)
    except (PasswordError, AccountError) as exc:
        return render(
            request, "sign_up.html", {"name": name, "error": _sentence(exc)}, status_code=422
        )
    response = RedirectResponse("/", status_code=303)
    _set_cookie(request, response, started.token, started.max_age_s)
    return response
