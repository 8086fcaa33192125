"""Measure a grader against human scores in a CSV: correlation, error and classification figures."""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from app.grading.base import Grader, GradingError, GradingQuestion

REQUIRED_COLUMNS = ("question", "reference_answer", "student_answer", "score", "max_score")
BATCH_SIZE = 64


class EvalError(GradingError):
    """The dataset cannot be evaluated: unreadable file, missing column, bad score."""


@dataclass
class EvalReport:
    """Agreement of one grader with the human scores of one dataset."""

    dataset: str
    grader: str
    grader_version: str
    n: int
    n_questions: int
    pearson: float
    spearman: float
    rmse: float
    binary: bool
    roc_auc: float | None = None
    macro_f1: float | None = None
    verdicts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of the report."""
        return asdict(self)


def read_dataset(
    dataset: Path, *, limit: int | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """The CSV's header and rows, checked for the required columns and numeric scores."""
    try:
        with dataset.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = list(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EvalError(f"cannot read {dataset}: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise EvalError(
            f"{dataset}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED_COLUMNS)}"
        )
    if limit is not None:
        rows = rows[:limit]
    for line, row in enumerate(rows, start=2):
        try:
            score, max_score = float(row["score"]), float(row["max_score"])
        except (TypeError, ValueError):
            raise EvalError(f"{dataset}:{line}: score and max_score must be numbers") from None
        if max_score <= 0 or math.isnan(score):
            raise EvalError(f"{dataset}:{line}: max_score must be positive")
    if not rows:
        raise EvalError(f"{dataset}: no rows to evaluate")
    return header, rows


def run_eval(
    dataset: Path,
    *,
    grader: Grader,
    limit: int | None = None,
    predictions: Path | None = None,
) -> EvalReport:
    """Grade every row of a dataset in batches and compare with its human scores."""
    header, rows = read_dataset(dataset, limit=limit)
    human = np.array([float(r["score"]) / float(r["max_score"]) for r in rows])
    questions: dict[tuple[str, str], GradingQuestion] = {}
    items = []
    for r in rows:
        key = (r["question"], r["reference_answer"])
        if key not in questions:
            questions[key] = GradingQuestion(question=key[0], reference_answer=key[1])
        items.append((questions[key], r["student_answer"] or ""))

    started = time.perf_counter()
    scores: list[float] = []
    verdicts: list[str] = []
    with tqdm(
        total=len(items),
        desc="grading",
        unit="answer",
        file=sys.stderr,
        disable=len(items) < BATCH_SIZE,
    ) as bar:
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start : start + BATCH_SIZE]
            for grade in grader.grade_batch(batch):
                scores.append(grade.score)
                verdicts.append(grade.verdict)
            bar.update(len(batch))
    seconds = time.perf_counter() - started
    predicted = np.array(scores, dtype=float)

    if predictions is not None:
        _write_predictions(predictions, header, rows, scores, verdicts)

    binary = set(np.unique(human).tolist()) <= {0.0, 1.0}
    report = EvalReport(
        dataset=str(dataset),
        grader=grader.name,
        grader_version=grader.version,
        n=len(rows),
        n_questions=len(questions),
        pearson=_pearson(predicted, human),
        spearman=_spearman(predicted, human),
        rmse=_rmse_after_linear_fit(predicted, human),
        binary=binary,
        verdicts={v: verdicts.count(v) for v in sorted(set(verdicts))},
        seconds=round(seconds, 2),
    )
    if binary:
        labels = human.astype(int)
        report.roc_auc = _roc_auc(predicted, labels)
        said_correct = np.array([v == "correct" for v in verdicts], dtype=int)
        report.macro_f1 = _macro_f1(said_correct, labels)
    return report


def _write_predictions(
    path: Path,
    header: list[str],
    rows: list[dict[str, str]],
    scores: list[float],
    verdicts: list[str],
) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=[*header, "predicted_score", "predicted_verdict"])
            writer.writeheader()
            for row, score, verdict in zip(rows, scores, verdicts, strict=True):
                writer.writerow({**row, "predicted_score": score, "predicted_verdict": verdict})
    except OSError as exc:
        raise EvalError(f"cannot write predictions to {path}: {exc}") from exc


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks, ties sharing the mean of their positions."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    return _pearson(_ranks(x), _ranks(y))


def _rmse_after_linear_fit(x: np.ndarray, y: np.ndarray) -> float:
    """RMSE on the human 0-1 scale after the least-squares line from grader to human score."""
    if len(x) < 2 or x.std() == 0:
        return float(np.sqrt(np.mean((y - y.mean()) ** 2)))
    slope, intercept = np.polyfit(x, y, 1)
    return float(np.sqrt(np.mean((slope * x + intercept - y) ** 2)))


def _roc_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    n_pos, n_neg = int(labels.sum()), int(len(labels) - labels.sum())
    if not n_pos or not n_neg:
        return None
    ranks = _ranks(scores)
    return float((ranks[labels == 1].sum() + n_pos - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _macro_f1(predicted: np.ndarray, labels: np.ndarray) -> float:
    f1s = []
    for cls in (0, 1):
        tp = int(((predicted == cls) & (labels == cls)).sum())
        fp = int(((predicted == cls) & (labels != cls)).sum())
        fn = int(((predicted != cls) & (labels == cls)).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s))


def format_report(report: EvalReport, *, as_json: bool) -> str:
    """The report as JSON or as a few aligned lines for a terminal."""
    if as_json:
        return json.dumps(report.to_dict(), indent=2, allow_nan=True)
    lines = [
        f"dataset   {report.dataset}",
        f"grader    {report.grader} {report.grader_version}",
        f"answers   {report.n} ({report.n_questions} questions) in {report.seconds:.1f} s",
        f"pearson   {report.pearson:.3f}",
        f"spearman  {report.spearman:.3f}",
        f"rmse      {report.rmse:.3f} (human 0-1 scale, after a linear fit)",
    ]
    if report.binary:
        auc = "n/a" if report.roc_auc is None else f"{report.roc_auc:.3f}"
        f1 = "n/a" if report.macro_f1 is None else f"{report.macro_f1:.3f}"
        lines += [f"roc_auc   {auc}", f"macro_f1  {f1} (verdict 'correct' vs label)"]
    verdicts = ", ".join(f"{k} {v}" for k, v in report.verdicts.items())
    lines.append(f"verdicts  {verdicts}")
    return "\n".join(lines)
