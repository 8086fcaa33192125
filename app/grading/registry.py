"""Graders by name: a plain dict of factories, an explicit error for an unknown name."""

from __future__ import annotations

from collections.abc import Callable

from app.config import Settings
from app.grading.base import Grader, UnknownGraderError

GraderFactory = Callable[[Settings], Grader]

_FACTORIES: dict[str, GraderFactory] = {}


def register(name: str, factory: GraderFactory) -> None:
    """Register a grader factory under a name."""
    _FACTORIES[name] = factory


def grader_names() -> list[str]:
    """Names of every registered grader."""
    _load_builtins()
    return sorted(_FACTORIES)


def create_grader(name: str, settings: Settings) -> Grader:
    """Build the grader registered under `name`, or raise UnknownGraderError."""
    _load_builtins()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownGraderError(name, list(_FACTORIES)) from None
    return factory(settings)


def _load_builtins() -> None:
    # Importing the built-in grader modules registers them; done lazily so that
    # importing the registry never pulls in torch.
    import app.grading.builtin  # noqa: F401
