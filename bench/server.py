"""`mock-interview serve` for the load benchmark, with two benchmark graders available.

`GRADER=fake` grades instantly (word overlap, from tests/fakes.py) and `GRADER=slow-fake`
takes BENCH_GRADE_MS per answer: runs about the server (queue, database, HTTP) use them so
that the model's CPU time does not hide what is measured. Any other GRADER is the real one.

    python bench/server.py --port 8001     # same settings and app as `mock-interview serve`
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.cli import main  # noqa: E402
from app.grading.base import Grade, GradingQuestion  # noqa: E402
from tests.fakes import OverlapGrader  # noqa: E402


class SlowGrader(OverlapGrader):
    """The overlap grader, taking BENCH_GRADE_MS of wall time per answer (a model stand-in)."""

    name = "slow-fake"

    def __init__(self) -> None:
        super().__init__()
        self.delay_s = float(os.environ.get("BENCH_GRADE_MS", "20")) / 1000

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade after the delay."""
        time.sleep(self.delay_s)
        return super().grade(question, answer)

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Grade many, one delay each."""
        return [self.grade(q, a) for q, a in items]


BENCH_GRADERS = {
    "fake": lambda settings: OverlapGrader(),
    "slow-fake": lambda settings: SlowGrader(),
}

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]], graders=BENCH_GRADERS))
