"""Registers the built-in graders. Each module is imported only when its grader is built."""

from __future__ import annotations

from app.config import Settings
from app.grading.base import Grader
from app.grading.registry import register


def _embedding(settings: Settings) -> Grader:
    from app.grading.embedding import EmbeddingGrader

    return EmbeddingGrader.from_settings(settings)


def _llm(settings: Settings) -> Grader:
    from app.grading.llm import LLMGrader

    return LLMGrader.from_settings(settings)


def _hybrid(settings: Settings) -> Grader:
    from app.grading.hybrid import HybridGrader

    return HybridGrader.from_settings(settings)


register("embedding", _embedding)
register("llm", _llm)
register("hybrid", _hybrid)
