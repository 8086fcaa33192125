"""The claim judge as a mover on top of the default grader (third attempt; README.md).

    PYTHONPATH=$PWD OMP_NUM_THREADS=1 .venv/bin/python research/claim_judge/mover.py dump \\
        --model-dir DIR --out readings.json
    PYTHONPATH=$PWD .venv/bin/python research/claim_judge/mover.py report readings.json

`dump` grades the adversarial day-1 set and the held-out questions' answers (SemEval per
corpus, mohler; first reference) once, keeping the default grader's score and flags and the
judge's readings per key point; `report` applies the mover rules to those readings, so every
rule and value is compared on the same judgements.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.grading.base import (  # noqa: E402
    CAP_KEYWORDS,
    CAP_OFF_TOPIC,
    CAP_RESTATED,
    CAP_TOO_SHORT,
    Grade,
    GradingQuestion,
    contradiction_cap,
)
from app.grading.embedder import SentenceTransformerEmbedder  # noqa: E402
from app.material.notes import question_key  # noqa: E402
from bench.adversarial import (  # noqa: E402
    RIGHT_KINDS,
    WRONG_KINDS,
    day1_questions,
    load_set,
    pairwise_accuracy,
    spearman,
)
from research.claim_judge.grader import ClaimGrader, _Span  # noqa: E402
from research.claim_judge.heldout import heldout_files  # noqa: E402
from research.claim_judge.model import ClaimJudge  # noqa: E402

Row = dict[str, Any]
CAPS = {
    "restates_question": CAP_RESTATED,
    "keyword_list": CAP_KEYWORDS,
    "off_topic": CAP_OFF_TOPIC,
    "too_short": CAP_TOO_SHORT,
}


class _Recording(ClaimGrader):
    """The claim grader, keeping the default grader's own score, flags and statuses."""

    def _judge(
        self,
        question: GradingQuestion,
        answer: str,
        base: Grade,
        points: tuple[str, ...],
        plan: list[list[list[tuple[int, _Span]]]],
        probs: np.ndarray,
        elapsed_ms: float,
    ) -> Grade:
        grade = super()._judge(question, answer, base, points, plan, probs, elapsed_ms)
        grade.details["base_score"] = base.score
        grade.details["base_flags"] = base.details.get("flags", [])
        return grade


class _TimedJudge(ClaimJudge):
    """The claim judge, counting the pairs it reads and the time it takes."""

    def __init__(self, model_dir: Path) -> None:
        super().__init__(model_dir)
        self.pairs = 0
        self.seconds = 0.0

    def judge(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Judge, and add to the counts."""
        started = time.perf_counter()
        out = super().judge(pairs)
        if pairs:
            self.pairs += len(pairs)
            self.seconds += time.perf_counter() - started
        return out


def dump(model_dir: Path, out: Path, *, max_claims: int = 4, one_span: bool = False) -> None:
    """Grade every set once and write the readings as JSON. `max_claims` and `one_span` bound
    the pairs the judge reads per point (claims, and spans per claim): its cost."""
    import torch

    from research.claim_judge import grader as claim_grader

    claim_grader.MAX_CLAIMS = max_claims
    if one_span:
        claim_grader.RUNNER_UP_WITHIN = -1.0  # never a runner-up span
    torch.set_num_threads(1)
    judge = _TimedJudge(model_dir)
    judge.judge([("The model loads.", "The model loads.")])  # not counted: loading
    judge.pairs, judge.seconds = 0, 0.0
    grader = _Recording(SentenceTransformerEmbedder(), judge)
    rows: list[Row] = []

    def run(name: str, items: list[tuple[GradingQuestion, str]], meta: list[Row]) -> None:
        for start in range(0, len(items), 32):
            grades = grader.grade_batch(items[start : start + 32])
            for grade, m in zip(grades, meta[start : start + 32], strict=True):
                d = grade.details
                rows.append(
                    {
                        "set": name,
                        **m,
                        "base": d.get("base_score", grade.score),
                        "flags": d.get("base_flags", d.get("flags", [])),
                        "judge": d.get("claims", []),
                    }
                )
        print(name, len(items), file=sys.stderr, flush=True)

    questions = day1_questions()
    answers = load_set()
    run(
        "adversarial",
        [(questions[question_key(a.question)], a.text) for a in answers],
        [{"gold": a.grade, "kind": a.kind, "q": a.question} for a in answers],
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in heldout_files(Path(tmp)).items():
            items, meta = [], []
            cache: dict[tuple[str, str], GradingQuestion] = {}
            with path.open(newline="", encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    key = (r["question"], r["reference_answer"])
                    q = cache.setdefault(
                        key, GradingQuestion(question=key[0], reference_answer=key[1])
                    )
                    items.append((q, r["student_answer"]))
                    meta.append(
                        {
                            "gold": float(r["score"]) / float(r["max_score"]),
                            "label": r.get("label"),
                            "q": r["question_id"],
                        }
                    )
            run(name, items, meta)
    out.write_text(json.dumps(rows))
    graded = len(rows)
    print(
        f"judge: {judge.pairs} pairs for {graded} answers ({judge.pairs / graded:.1f} an answer), "
        f"{1000 * judge.seconds / max(judge.pairs, 1):.2f} ms a pair in batches, one thread",
        file=sys.stderr,
    )


def moved(row: Row, *, w: float = 0.0, contra_at: float | None = None, lead: float = 0.3) -> float:
    """The default grader's score moved by the judge: raised towards its stated share, capped
    where it is confident a point is contradicted; the default grader's caps still hold."""
    score = float(row["base"])
    judged = row["judge"]
    if not judged:
        return score
    if w:
        credits = sorted((p["stated"] for p in judged), reverse=True)
        share = float(np.mean(credits[: max(1, math.ceil(0.6 * len(credits)))]))
        score = max(score, (1 - w) * score + w * 100 * share)
    if contra_at is not None:
        n = sum(
            1
            for p in judged
            if p["contradicted"] >= contra_at and p["contradicted"] - p["stated"] >= lead
        )
        cap = contradiction_cap(n, len(judged)) if n else None
        if cap is not None:
            score = min(score, cap)
    for flag, cap_at in CAPS.items():
        if flag in row["flags"]:
            score = min(score, cap_at)
    return score


def _figures(rows: Sequence[Row], rule: Callable[[Row], float]) -> str:
    from scipy.stats import pearsonr
    from sklearn.metrics import f1_score, roc_auc_score

    adv = [r for r in rows if r["set"] == "adversarial"]
    scores = [rule(r) for r in adv]
    gold = [r["gold"] for r in adv]
    false = sum(
        (r["kind"] in WRONG_KINDS and s >= 60) or (r["kind"] in RIGHT_KINDS and s < 40)
        for r, s in zip(adv, scores, strict=True)
    )
    pairwise, _ = pairwise_accuracy([r["q"] for r in adv], gold, scores)
    cells = [f"{spearman(scores, gold):.3f}", f"{pairwise:.3f}", str(false)]
    for corpus in ("semeval-beetle", "semeval-scientsbank"):
        part = [r for r in rows if r["set"] == corpus]
        s = np.array([rule(r) for r in part])
        y = np.array([r["label"] == "correct" for r in part])
        cells.append(f"{roc_auc_score(y, s):.3f} / {f1_score(y, s >= 60, average='macro'):.3f}")
    part = [r for r in rows if r["set"] == "mohler"]
    cells.append(f"{pearsonr([rule(r) for r in part], [r['gold'] for r in part])[0]:.3f}")
    return " | ".join(cells)


def report(path: Path) -> None:
    """A markdown table of every rule tried, beside the default grader alone."""
    rows = json.loads(path.read_text())
    rules: list[tuple[str, Callable[[Row], float]]] = [("default grader alone", moved)]
    rules += [(f"raise, w {w}", functools.partial(moved, w=w)) for w in (0.25, 0.5)]
    rules += [(f"cap, c {c}", functools.partial(moved, contra_at=c)) for c in (0.6, 0.7)]
    rules.append(("raise w 0.5 + cap c 0.7", lambda r: moved(r, w=0.5, contra_at=0.7)))
    print(
        "| rule | adversarial Spearman | pairwise | false verdicts "
        "| Beetle AUC / macro-F1 | SciEntsBank AUC / macro-F1 | mohler Pearson |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rule in rules:
        print(f"| {name} | {_figures(rows, rule)} |")
    kinds: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        if r["set"] == "adversarial" and r["judge"]:
            credits = sorted((p["stated"] for p in r["judge"]), reverse=True)
            top = credits[: max(1, math.ceil(0.6 * len(credits)))]
            worst = max(p["contradicted"] for p in r["judge"])
            kinds.setdefault(r["kind"], []).append((float(np.mean(top)), worst))
    print("\n| kind | judge's stated share | largest P(contradicted) |\n|---|---:|---:|")
    for kind, values in kinds.items():
        a = np.array(values)
        print(f"| {kind} | {a[:, 0].mean():.2f} | {a[:, 1].mean():.2f} |")


def main() -> None:
    """`dump` or `report`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--model-dir", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--max-claims", type=int, default=4, help="claims judged per key point")
    d.add_argument("--one-span", action="store_true", help="only the closest span per claim")
    r = sub.add_parser("report")
    r.add_argument("readings", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.model_dir, args.out, max_claims=args.max_claims, one_span=args.one_span)
    else:
        report(args.readings)


if __name__ == "__main__":
    main()
