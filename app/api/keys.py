"""API keys: created once (the plaintext is shown only then), stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiKey, utcnow

KEY_PREFIX = "mi_"
# Shown in listings so a person can tell keys apart; short enough to reveal nothing useful.
DISPLAY_PREFIX_CHARS = 10
MAX_NAME_CHARS = 100
# last_used_at is a hint, not an audit log: write it at most once a minute per key.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(Exception):
    """A key operation that cannot be done (duplicate or unknown name, bad name)."""


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_api_key(*, session: Session, name: str) -> str:
    """Create a key called `name` and return its plaintext (which is not stored)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise ApiKeyError(f"a key name needs 1 to {MAX_NAME_CHARS} characters")
    if session.scalar(select(ApiKey).where(ApiKey.name == name)) is not None:
        raise ApiKeyError(f"there is already a key called {name!r}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, prefix=key[:DISPLAY_PREFIX_CHARS], key_hash=hash_key(key)))
    session.flush()
    return key


def list_api_keys(*, session: Session) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_api_key(*, session: Session, name: str) -> None:
    """Revoke the key called `name`; ApiKeyError if there is none or it is already revoked."""
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise ApiKeyError(f"no key called {name!r}")
    if key.revoked_at is not None:
        raise ApiKeyError(f"the key {name!r} is already revoked")
    key.revoked_at = utcnow()
    session.flush()


def authenticate(*, session: Session, key: str) -> ApiKey | None:
    """The active key matching `key` (its last use recorded), or None."""
    if not key.startswith(KEY_PREFIX):
        return None
    found = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )
    if found is None:
        return None
    now = utcnow()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
        found.last_used_at = now
        session.flush()
    return found
