"""Users: the local user of AUTH=none, accounts with passwords, admins, deleting an account."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.models import (
    Answer,
    ExampleAnswer,
    Interview,
    Review,
    SignInSession,
    SourceFile,
    User,
    utcnow,
)

# The user every single-user instance had before accounts; the first account may claim it.
LOCAL_USER = "me"
MAX_NAME_CHARS = 100
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")


class AccountError(ValueError):
    """An account operation that cannot be done (bad or taken name, unknown user, last admin)."""


@dataclass(frozen=True)
class Account:
    """Who a request acts as: enough to scope queries and show the name, with no session tied."""

    id: int
    name: str
    is_admin: bool

    @classmethod
    def of(cls, user: User) -> Account:
        """The account of a loaded user."""
        return cls(id=user.id, name=user.name, is_admin=user.is_admin)


def check_name(name: str) -> str:
    """The name, stripped; AccountError when it cannot be a user name."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_CHARS or not _NAME.fullmatch(name):
        raise AccountError(
            f"a user name has 1 to {MAX_NAME_CHARS} letters, digits or . _ @ + - "
            "(starting with a letter or digit)"
        )
    return name


def first_user(*, session: Session) -> User | None:
    """The first user: the admin of a fresh instance, and the one user of AUTH=none."""
    return session.scalar(select(User).order_by(User.id).limit(1))


def ensure_local_user(*, session: Session) -> User:
    """The first user, creating the local admin "me" (no password) on an empty instance."""
    user = first_user(session=session)
    if user is None:
        user = User(name=LOCAL_USER, is_admin=True)
        session.add(user)
        session.flush()
    return user


def get_user(*, session: Session, name: str) -> User:
    """The user called `name`, or AccountError."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise AccountError(f"no user called {name!r}")
    return user


def list_users(*, session: Session) -> list[User]:
    """Every user, oldest first."""
    return list(session.scalars(select(User).order_by(User.id)))


def has_password_user(*, session: Session) -> bool:
    """True once anyone can sign in."""
    found = session.scalar(select(User.id).where(User.password_hash.is_not(None)).limit(1))
    return found is not None


def _claimable_local_user(session: Session) -> User | None:
    """The legacy local user when it is the only user and has no password yet."""
    users = list(session.scalars(select(User).order_by(User.id).limit(2)))
    if len(users) == 1 and users[0].name == LOCAL_USER and users[0].password_hash is None:
        return users[0]
    return None


def create_user(
    *,
    session: Session,
    name: str,
    password_hash: str,
    admin: bool = False,
    claim_local: bool = True,
) -> tuple[User, bool]:
    """Create an account; (user, claimed). With `claim_local`, the first account on an instance
    whose only user is the passwordless local "me" claims that row: its history and banks,
    and its admin role (open sign-up never claims)."""
    name = check_name(name)
    local = _claimable_local_user(session) if claim_local else None
    if local is not None:
        if name != local.name and session.scalar(select(User.id).where(User.name == name)):
            raise AccountError(f"there is already a user called {name!r}")
        local.name, local.password_hash, local.is_admin = name, password_hash, True
        session.flush()
        return local, True
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AccountError(f"there is already a user called {name!r}")
    user = User(name=name, password_hash=password_hash, is_admin=admin)
    session.add(user)
    session.flush()
    return user, False


def set_password(
    *,
    session: Session,
    user_id: int,
    password_hash: str,
    keep_session_id: int | None = None,
) -> None:
    """Set a user's password (its hash, made before the transaction: hashing is slow) and
    sign out every other browser of theirs."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError(f"no user {user_id}")
    user.password_hash = password_hash
    revoke_other_sessions(session=session, user_id=user_id, keep_session_id=keep_session_id)
    session.flush()


def revoke_other_sessions(
    *, session: Session, user_id: int, keep_session_id: int | None = None
) -> None:
    """Revoke a user's sign-in sessions except `keep_session_id`."""
    query = update(SignInSession).where(
        SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        query = query.where(SignInSession.id != keep_session_id)
    session.execute(query.values(revoked_at=utcnow()))


def delete_user(*, session: Session, name: str) -> None:
    """Delete a user with their practice history, recordings, keys and sign-ins.

    Banks they own go to the first remaining admin (others may have answered their
    questions); the last admin cannot be deleted.
    """
    user = get_user(session=session, name=name)
    heir = session.scalar(
        select(User).where(User.is_admin.is_(True), User.id != user.id).order_by(User.id).limit(1)
    )
    if heir is None:
        if user.is_admin:
            raise AccountError(f"{name!r} is the last admin: make another user admin first")
        raise AccountError("there is no admin to take over the user's banks")
    session.execute(update(SourceFile).where(SourceFile.user_id == user.id).values(user_id=heir.id))
    session.execute(delete(Review).where(Review.user_id == user.id))
    # Their graded examples go with their answers: left ownerless they would count for everyone.
    session.execute(delete(ExampleAnswer).where(ExampleAnswer.user_id == user.id))
    session.execute(delete(Answer).where(Answer.user_id == user.id))
    session.execute(delete(Interview).where(Interview.user_id == user.id))
    session.delete(user)
    session.flush()


def set_admin(*, session: Session, name: str, admin: bool) -> User:
    """Make a user an admin or not; the last admin stays one."""
    user = get_user(session=session, name=name)
    if not admin and user.is_admin:
        admins = session.scalar(select(func.count()).where(User.is_admin.is_(True))) or 0
        if admins <= 1:
            raise AccountError(f"{name!r} is the last admin")
    user.is_admin = admin
    session.flush()
    return user
