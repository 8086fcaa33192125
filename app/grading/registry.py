"""Graders by name: a literal dict of the built-in factories, an explicit error for an unknown name.

Each factory imports its grader's module when called, so importing the registry never pulls in
torch, and no grader module imports the registry's callers. An app takes extra graders as an
argument (`create_app(settings, graders=...)`); nothing registers globals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from app.config import Settings
from app.grading.base import Grader, UnknownGraderError

GraderFactory = Callable[[Settings], Grader]


def _embedding(settings: Settings) -> Grader:
    from app.grading.embedding import EmbeddingGrader

    return EmbeddingGrader.from_settings(settings)


def _llm(settings: Settings) -> Grader:
    from app.grading.llm import LLMGrader

    return LLMGrader.from_settings(settings)


def _hybrid(settings: Settings) -> Grader:
    from app.grading.hybrid import HybridGrader

    return HybridGrader.from_settings(settings)


BUILTIN_GRADERS: Mapping[str, GraderFactory] = MappingProxyType(
    {"embedding": _embedding, "llm": _llm, "hybrid": _hybrid}
)


def grader_factories(extra: Mapping[str, GraderFactory] | None = None) -> dict[str, GraderFactory]:
    """The built-in factories, with `extra` added (an extra one of the same name wins)."""
    return {**BUILTIN_GRADERS, **(extra or {})}


def grader_names(factories: Mapping[str, GraderFactory] = BUILTIN_GRADERS) -> list[str]:
    """Names of the graders in `factories` (default: the built-ins)."""
    return sorted(factories)


def create_grader(
    name: str, settings: Settings, factories: Mapping[str, GraderFactory] = BUILTIN_GRADERS
) -> Grader:
    """Build the grader called `name` from `factories` (default: the built-ins)."""
    try:
        factory = factories[name]
    except KeyError:
        raise UnknownGraderError(name, list(factories)) from None
    return factory(settings)
