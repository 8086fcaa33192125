"""A small score-over-time chart, laid out here and drawn as inline SVG by the template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 480, 160
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 36, 16, 12, 24


@dataclass(frozen=True)
class ChartPoint:
    """One attempt on the chart."""

    x: float
    y: float
    score: float
    label: str


@dataclass(frozen=True)
class ScoreChart:
    """Geometry of a score chart: points, the polyline through them and the grid lines."""

    width: int
    height: int
    points: list[ChartPoint]
    grid: list[tuple[float, int]]
    left: int
    right: int
    what: str = "Score of each attempt, oldest first"

    @property
    def polyline(self) -> str:
        """The `points` attribute of the SVG polyline."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def description(self) -> str:
        """What the chart shows, for people who cannot see it."""
        scores = ", ".join(f"{p.score:g}" for p in self.points)
        return f"{self.what}: {scores}"


def score_chart(
    attempts: list[tuple[datetime, float | None]],
    *,
    noun: str = "Attempt",
    what: str = "Score of each attempt, oldest first",
) -> ScoreChart | None:
    """The chart of graded attempts (oldest first); None when nothing is graded."""
    graded = [(at, score) for at, score in attempts if score is not None]
    if not graded:
        return None
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / (len(graded) - 1) if len(graded) > 1 else 0.0

    def y_of(score: float) -> float:
        return PAD_TOP + inner_h * (1 - max(0.0, min(score, 100.0)) / 100)

    points = [
        ChartPoint(
            x=PAD_LEFT + (i * step if len(graded) > 1 else inner_w / 2),
            y=y_of(score),
            score=score,
            label=f"{noun} {i + 1}, {at:%d %b %H:%M}: {score:g}",
        )
        for i, (at, score) in enumerate(graded)
    ]
    grid = [(y_of(value), value) for value in (0, 50, 100)]
    return ScoreChart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        grid=grid,
        left=PAD_LEFT,
        right=WIDTH - PAD_RIGHT,
        what=what,
    )
