"""Every figure of the claim grader in one run, beside `embedding`, judging each pair once.

    PYTHONPATH=$PWD .venv/bin/python -m research.claim_judge.evaluate \
        [--model-dir research/claim_judge/weights] [--w-claims 0.5 0.75] [--json]

- the adversarial day-1 set (`bench/adversarial.py`; a test set: never trained on, and the
  claim weight is only ever looked at for a couple of round values),
- the held-out questions of the SemEval training split and of mohler.csv (`heldout.py`),
- all of mohler.csv (80% of its questions are training questions of the judge: a
  development figure, shown because `mock-interview eval` must stay >= 0.60 on it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.grading.base import Grader  # noqa: E402
from app.grading.embedder import SentenceTransformerEmbedder  # noqa: E402
from app.grading.evaluation import run_eval  # noqa: E402
from bench.adversarial import evaluate, load_set  # noqa: E402
from research.claim_judge.grader import ClaimGrader  # noqa: E402
from research.claim_judge.heldout import DATASETS, heldout_files  # noqa: E402
from research.claim_judge.model import MODEL_DIR, ClaimJudge  # noqa: E402


class CachedJudge:
    """A judge that reads each (claim, span) pair once, whatever the weights tried around it."""

    def __init__(self, judge: ClaimJudge) -> None:
        self.inner = judge
        self.model_dir = judge.model_dir
        self.cache: dict[tuple[str, str], np.ndarray] = {}

    def start_background_load(self) -> None:
        """Start loading the wrapped judge."""
        self.inner.start_background_load()

    def is_ready(self) -> bool:
        """Whether the wrapped judge is loaded."""
        return self.inner.is_ready()

    def judge(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Probabilities, from the cache where the pair was read before."""
        todo = list(dict.fromkeys(p for p in pairs if p not in self.cache))
        if todo:
            for pair, row in zip(todo, self.inner.judge(todo), strict=True):
                self.cache[pair] = row
        return np.array([self.cache[p] for p in pairs], dtype=np.float32).reshape(-1, 3)


def figures(
    grader: Grader, label: str, files: dict[str, Path], *, datasets: bool = True
) -> dict[str, Any]:
    """Adversarial, held-out and full-mohler figures of one grader."""
    adv = evaluate(grader, load_set())
    out: dict[str, Any] = {
        "grader": label,
        "adversarial": {
            "spearman": round(adv["spearman"], 3),
            "pairwise": round(adv["pairwise_accuracy"], 3),
            "false_verdicts": len(adv["false_verdicts"]),
            "mean_by_kind": {k: v["mean_score"] for k, v in adv["by_kind"].items()},
        },
    }
    for name, path in [*files.items(), ("mohler-all", DATASETS / "mohler.csv")] if datasets else []:
        report = run_eval(path, grader=grader)
        out[name] = {
            "answers": report.n,
            "pearson": round(report.pearson, 3),
            "auc": None if report.roc_auc is None else round(report.roc_auc, 3),
            "macro_f1": None if report.macro_f1 is None else round(report.macro_f1, 3),
        }
    return out


def main() -> None:
    """Print the figures of the claim grader at each claim weight, and of `embedding`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--w-claims", type=float, nargs="+", default=[0.5, 0.75])
    parser.add_argument("--with-embedding", action="store_true")
    parser.add_argument(
        "--adversarial-only", action="store_true", help="skip the data sets (quick look)"
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    embedder = SentenceTransformerEmbedder()
    judge = CachedJudge(ClaimJudge(args.model_dir))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        files = heldout_files(Path(tmp))
        for w in args.w_claims:
            grader = ClaimGrader(embedder, judge, w_claims=w)  # type: ignore[arg-type]
            results.append(
                figures(grader, f"claims w={w}", files, datasets=not args.adversarial_only)
            )
            print(json.dumps(results[-1]), flush=True)
        if args.with_embedding:
            from app.grading.embedding import EmbeddingGrader

            results.append(
                figures(
                    EmbeddingGrader(embedder),
                    "embedding",
                    files,
                    datasets=not args.adversarial_only,
                )
            )
            print(json.dumps(results[-1]), flush=True)


if __name__ == "__main__":
    main()
