"""Users. Self-hosted use has one local person; the schema allows more."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User

DEFAULT_USER = "me"


def get_or_create_user(*, session: Session, name: str = DEFAULT_USER) -> User:
    """The user called `name`, created on first use."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        user = User(name=name)
        session.add(user)
        session.flush()
    return user
