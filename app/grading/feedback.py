"""What a grade tells the candidate: what to fix first, then what to add."""

from __future__ import annotations

from collections.abc import Sequence

from app.grading.base import KeyPointResult


def short_label(point: str, limit: int = 60) -> str:
    """A point's label, or its first words up to `limit` characters, cut between words."""
    label, sep, _ = point.partition(": ")
    if sep and len(label) <= limit:
        return label
    if len(point) <= limit:
        return point.rstrip(".")
    return point[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


_FEEDBACK_POINTS = 3


def list_points(points: Sequence[str]) -> str:
    """The first few points, shortened, and how many more: feedback is read at a glance."""
    listed = "; ".join(short_label(p) for p in points[:_FEEDBACK_POINTS])
    more = len(points) - _FEEDBACK_POINTS
    listed = f"{listed} (and {more} more)" if more > 0 else listed
    return listed if listed.endswith("…") else listed + "."


def compose_feedback(results: list[KeyPointResult], flags: list[str], reasons: list[str]) -> str:
    """One or two short sentences: what to fix first, then what to add."""
    parts: list[str] = []
    if "off_topic" in flags:
        parts.append("This does not answer the question.")
    if "restates_question" in flags:
        parts.append("This restates the question; explain the answer itself.")
    if "keyword_list" in flags:
        parts.append("Explain how the terms connect in full sentences, not a list of keywords.")
    if reasons:
        parts.append("Fix: " + "; ".join(reasons) + ".")
    missed = [r.point for r in results if r.status == "missed"]
    partial = [r.point for r in results if r.status == "partial"]
    if missed and len(missed) == len(results) and not parts:
        parts.append("This does not cover the key points yet. Start with: " + list_points(missed))
    elif missed:
        parts.append("Add: " + list_points(missed))
    if partial:
        parts.append("Expand on: " + list_points(partial))
    if not parts:
        parts.append("Covers every key point.")
    return " ".join(parts)
