"""Measure a grader against human scores in a CSV: correlation, error and classification figures."""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from app.grading.base import Bank, BankExample, Exemplar, Grader, GradingError, GradingQuestion
from app.grading.exemplars import spread
from app.grading.references import ReferenceGrader

if TYPE_CHECKING:
    from app.grading.embedder import Embedder

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
    references: str = "first"
    exemplars: int = 0
    bank_examples: int = 0
    exemplar_overlap: int = 0
    exemplars_decided: int = 0
    by_dataset: dict[str, dict[str, float | int | None]] = field(default_factory=dict)

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
    all_references: bool = True,
    exemplars: Path | None = None,
) -> EvalReport:
    """Grade every row of a dataset in batches and compare with its human scores.

    With `all_references` an optional `reference_answers` column (a JSON list) gives every
    reference of a row; `exemplars` is a CSV of the same columns whose answers are the graded
    examples of the questions with the same text.
    """
    header, rows = read_dataset(dataset, limit=limit)
    human = np.array([float(r["score"]) / float(r["max_score"]) for r in rows])
    use_references = all_references and "reference_answers" in header
    examples = (
        read_examples(exemplars, all_references=all_references)
        if exemplars is not None
        else GradedExamples({}, {})
    )
    questions: dict[tuple[str, str, str], GradingQuestion] = {}
    items = []
    for line, r in enumerate(rows, start=2):
        key = (r["question"], r["reference_answer"], r.get("dataset") or "")
        if key not in questions:
            references = _references(r, dataset=dataset, line=line) if use_references else ()
            questions[key] = GradingQuestion(
                question=key[0],
                reference_answer=key[1],
                reference_answers=references,
                exemplars=examples.by_question.get(_question_text(key[0]), ()),
                bank=examples.bank_for(r.get("dataset")),
            )
        items.append((questions[key], r["student_answer"] or ""))
    if use_references or examples.by_question or examples.banks:
        grader = ReferenceGrader(grader, embedder=_embedder_of(grader))

    started = time.perf_counter()
    scores: list[float] = []
    verdicts: list[str] = []
    decided = 0
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
                decided += bool(grade.details.get("exemplars", {}).get("decided"))
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
        references="all" if use_references else "first",
        exemplars=sum(len(q.exemplars) for q in questions.values()),
        bank_examples=sum(len(b.examples) for b in examples.banks.values()),
        exemplar_overlap=sum(
            1 for q, answer in items if any(e.text == answer.strip() for e in q.exemplars)
        ),
        exemplars_decided=decided,
    )
    said_correct = np.array([v == "correct" for v in verdicts], dtype=int)
    if binary:
        labels = human.astype(int)
        report.roc_auc = _roc_auc(predicted, labels)
        report.macro_f1 = _macro_f1(said_correct, labels)
    if "dataset" in header:
        names = np.array([r["dataset"] for r in rows])
        for name in sorted(set(names.tolist())):
            mask = names == name
            group: dict[str, float | int | None] = {
                "n": int(mask.sum()),
                "pearson": _pearson(predicted[mask], human[mask]),
            }
            if binary:
                labels = human[mask].astype(int)
                group["roc_auc"] = _roc_auc(predicted[mask], labels)
                group["macro_f1"] = _macro_f1(said_correct[mask], labels)
            report.by_dataset[name] = group
    return report


@dataclass(frozen=True)
class GradedExamples:
    """The graded answers of an examples CSV: per question (by folded text) and per bank.

    A bank is the examples of one `dataset` name (all of them when the file has no such
    column): they set where "correct" begins for questions of that data set, including
    questions that have no examples of their own (SemEval's unseen questions and domains).
    """

    by_question: dict[str, tuple[Exemplar, ...]]
    banks: dict[str, Bank]

    def bank_for(self, name: str | None) -> Bank | None:
        """The bank of the data set called `name`; the only bank when there is one."""
        found = self.banks.get((name or "").casefold())
        if found is None and len(self.banks) == 1:
            return next(iter(self.banks.values()))
        return found


def read_examples(path: Path, *, all_references: bool = True) -> GradedExamples:
    """Graded example answers from a dataset CSV: by question, and as banks by data set.

    Each bank holds at most BANK_EXAMPLES examples, drawn in turn from its questions.
    """
    header, rows = read_dataset(path)
    use_references = all_references and "reference_answers" in header
    found: dict[str, dict[str, Exemplar]] = {}
    asked: dict[tuple[str, str, str], GradingQuestion] = {}
    by_asked: dict[tuple[str, str, str], dict[str, Exemplar]] = {}
    for line, r in enumerate(rows, start=2):
        text = (r["student_answer"] or "").strip()
        if not text:
            continue
        score = 100.0 * float(r["score"]) / float(r["max_score"])
        exemplar = Exemplar(text=text, score=score, source="dataset")
        found.setdefault(_question_text(r["question"]), {})[text] = exemplar
        key = ((r.get("dataset") or "").casefold(), r["question"], r["reference_answer"])
        if key not in asked:
            references = _references(r, dataset=path, line=line) if use_references else ()
            asked[key] = GradingQuestion(
                question=r["question"],
                reference_answer=r["reference_answer"],
                reference_answers=references,
            )
        by_asked.setdefault(key, {})[text] = exemplar
    groups: dict[str, list[list[BankExample]]] = {}
    for key, answers in by_asked.items():
        groups.setdefault(key[0], []).append(
            [BankExample(asked[key], exemplar) for exemplar in answers.values()]
        )
    return GradedExamples(
        by_question={question: tuple(by_text.values()) for question, by_text in found.items()},
        banks={name: Bank(tuple(spread(group))) for name, group in groups.items()},
    )


def _question_text(text: str) -> str:
    return " ".join(text.casefold().split())


def _references(row: dict[str, str], *, dataset: Path, line: int) -> tuple[str, ...]:
    raw = (row.get("reference_answers") or "").strip()
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvalError(f"{dataset}:{line}: reference_answers must be a JSON list of strings")
    return tuple(v for v in value if v.strip())


def _embedder_of(grader: Grader) -> Callable[[], Embedder] | None:
    """The grader's own embedder, or the default model, to find the nearest examples."""

    def build() -> Embedder:
        own = getattr(grader, "embedder", None)
        if own is not None:
            return own
        from app.grading.embedder import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(None)

    return build


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
    lines.append(f"refs      {report.references} reference answers")
    if report.exemplars:
        lines.append(
            f"examples  {report.exemplars} graded examples; decided {report.exemplars_decided} "
            f"verdicts; {report.exemplar_overlap} graded answers were also examples"
        )
    if report.bank_examples:
        lines.append(f"banks     {report.bank_examples} graded examples set each bank's threshold")
    for name, group in report.by_dataset.items():
        figures = ", ".join(
            f"{key} {value:.3f}" if isinstance(value, float) else f"{key} {value}"
            for key, value in group.items()
        )
        lines.append(f"  {name}: {figures}")
    return "\n".join(lines)
