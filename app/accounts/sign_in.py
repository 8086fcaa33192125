"""Signing in: checking a name and password, and the server-side sessions a cookie points at."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.passwords import Passwords
from app.accounts.users import Account
from app.db import Database
from app.models import SignInSession, User, utcnow

COOKIE_NAME = "mi_session"
TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 100


def hash_token(token: str) -> str:
    """The stored form of a session token: a leaked table signs nobody in."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_password(
    *, database: Database, passwords: Passwords, name: str, password: str
) -> int | None:
    """The user's id when the password is theirs, else None; as slow for an unknown name.

    The hash is checked with no transaction open (it is slow on purpose); one stored at
    another cost is replaced by one at the current cost.
    """
    with database.session(write=False) as session:
        row = session.execute(
            select(User.id, User.password_hash).where(User.name == name.strip())
        ).first()
    ok, new_hash = passwords.verify(password, row.password_hash if row else None)
    if row is None or not ok:
        return None
    if new_hash is not None:
        with database.session() as session:
            session.execute(update(User).where(User.id == row.id).values(password_hash=new_hash))
    return int(row.id)


@dataclass(frozen=True)
class NewSignIn:
    """A started session: the token goes in the cookie, never in the database."""

    token: str
    session_id: int
    max_age_s: int


def start_session(*, session: Session, user_id: int, days: float) -> NewSignIn:
    """Start a sign-in session for a user, lasting `days`."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    row = SignInSession(
        user_id=user_id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return NewSignIn(token=token, session_id=row.id, max_age_s=int(days * 86400))


@dataclass(frozen=True)
class SignedIn:
    """The account a valid session cookie stands for, and which session it is."""

    account: Account
    session_id: int


def resolve_session(*, session: Session, token: str) -> SignedIn | None:
    """The account of a live (not expired, not revoked) session token, or None."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    row = session.execute(
        select(SignInSession, User)
        .join(User, User.id == SignInSession.user_id)
        .where(
            SignInSession.token_hash == hash_token(token),
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > utcnow(),
        )
    ).first()
    if row is None:
        return None
    sign_in, user = row
    return SignedIn(account=Account.of(user), session_id=sign_in.id)


def end_session(*, session: Session, token: str) -> None:
    """Revoke the session of a token (signing out); nothing for an unknown one."""
    row = session.scalar(select(SignInSession).where(SignInSession.token_hash == hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
