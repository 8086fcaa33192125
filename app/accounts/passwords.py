"""Password hashes: argon2id through pwdlib, with the cost from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.config import Settings

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024


class PasswordError(ValueError):
    """A password that cannot be set (too short, too long)."""


def check_new_password(password: str) -> None:
    """Raise PasswordError for a password too short or too long to accept."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordError(f"a password has at most {MAX_PASSWORD_CHARS} characters")


def new_password_hash(passwords: Passwords, password: str) -> str:
    """The hash of a new password; PasswordError when it cannot be one."""
    check_new_password(password)
    return passwords.hash(password)


@dataclass
class Passwords:
    """Hashing and checking passwords at one cost."""

    memory_kib: int = 65536
    time_cost: int = 3
    _hasher: PasswordHash = field(init=False, repr=False)
    _dummy: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._hasher = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=self.time_cost,
                    memory_cost=self.memory_kib,
                    parallelism=1,
                ),
            )
        )
        # Checked when the account does not exist, so that answer takes as long as a wrong
        # password for a real one.
        self._dummy = self._hasher.hash("not a password: no account has it")

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        """Hashing at the cost the settings ask for."""
        return cls(
            memory_kib=settings.password_hash_memory_kib, time_cost=settings.password_hash_time_cost
        )

    def hash(self, password: str) -> str:
        """The stored form of a password (argon2id, salted)."""
        return self._hasher.hash(password)

    def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """(matches, new hash when the stored one is at another cost); a missing hash never
        matches but costs the same time."""
        if stored is None:
            self._hasher.verify(password, self._dummy)
            return False, None
        try:
            return self._hasher.verify_and_update(password, stored)
        except Exception:  # a malformed stored hash is a wrong password, not a 500
            return False, None
