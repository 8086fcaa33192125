"""API keys: created once (the plaintext is shown only then), stored as a SHA-256 hash.

A key belongs to a user and acts as them; names are unique per user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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


def create_api_key(*, session: Session, user_id: int, name: str) -> str:
    """Create a key of a user called `name` and return its plaintext (which is not stored)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise ApiKeyError(f"a key name needs 1 to {MAX_NAME_CHARS} characters")
    if _by_name(session, user_id, name) is not None:
        raise ApiKeyError(f"there is already a key called {name!r}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            user_id=user_id,
            name=name,
            prefix=key[:DISPLAY_PREFIX_CHARS],
            key_hash=hash_key(key),
        )
    )
    session.flush()
    return key


def _by_name(session: Session, user_id: int, name: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.name == name))


def list_api_keys(*, session: Session, user_id: int | None = None) -> list[ApiKey]:
    """A user's keys (everyone's when None), revoked ones included, oldest first."""
    query = select(ApiKey).options(selectinload(ApiKey.user))
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    return list(session.scalars(query.order_by(ApiKey.created_at, ApiKey.id)))


def revoke_api_key(*, session: Session, user_id: int, name: str) -> None:
    """Revoke a user's key called `name`; ApiKeyError if there is none or it is revoked."""
    key = _by_name(session, user_id, name)
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
