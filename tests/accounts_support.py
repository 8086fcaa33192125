"""Accounts in tests: AUTH=password settings with cheap hashes, users, signing in a client."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.accounts.passwords import Passwords
from app.accounts.users import create_user
from app.config import Settings
from app.db import Database

# Argon2id at its smallest cost: the same code path, milliseconds instead of ~100 ms.
CHEAP_HASHES = {"password_hash_memory_kib": 8, "password_hash_time_cost": 1}
PASSWORD = "correct horse battery"


def password_settings(settings: Settings, **overrides: object) -> Settings:
    """The test's settings with AUTH=password and cheap password hashes."""
    return Settings.model_validate(
        settings.model_dump() | {"auth": "password", **CHEAP_HASHES, **overrides}
    )


def add_user(
    database: Database, name: str, *, password: str = PASSWORD, admin: bool = False
) -> int:
    """Create an account (claiming the local user if it is the first) and return its id."""
    passwords = Passwords(memory_kib=8, time_cost=1)
    with database.session() as session:
        user, _claimed = create_user(
            session=session, name=name, password_hash=passwords.hash(password), admin=admin
        )
        return user.id


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    """Sign the client in through the form; fails the test if that does not work."""
    response = client.post(
        "/sign-in", data={"name": name, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
