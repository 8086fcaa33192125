"""Adversarial sets: how well a grader orders hand-graded answers of known kinds.

PYTHONPATH=$PWD .venv/bin/python bench/adversarial.py                      # the default grader
PYTHONPATH=$PWD .venv/bin/python bench/adversarial.py --grader embedding   # any registered one
PYTHONPATH=$PWD .venv/bin/python bench/adversarial.py --json
PYTHONPATH=$PWD .venv/bin/python bench/adversarial.py \
    --set bench/adversarial_day2.yaml --notes bench/material/day2.txt      # the day-2 set
PYTHONPATH=$PWD .venv/bin/python bench/adversarial.py --check \
    --set bench/adversarial_day2.yaml --notes bench/material/day2.txt      # check, grade nothing

By default it grades the day-1 set against the day-1 notes; `--set` and `--notes` name another
set and the notes its questions come from.

Reports the Spearman correlation of score and hand grade over every answer, the share of
same-question answer pairs with different grades that the grader orders the same way (a tie in
score counts half), the mean score of each kind, and the false verdicts: a wrong kind graded
`correct` or a right kind graded `incorrect`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.grading.base import (  # noqa: E402
    Grade,
    Grader,
    GradingError,
    GradingQuestion,
    UnknownGraderError,
)
from app.grading.key_points import extract_key_points  # noqa: E402
from app.grading.registry import create_grader  # noqa: E402
from app.material.notes import NotesError, question_key  # noqa: E402
from app.material.parser import read_notes_file  # noqa: E402

BENCH = Path(__file__).resolve().parent


def day_set(n: int) -> tuple[Path, Path]:
    """Day n's adversarial set and the notes its questions come from."""
    return BENCH / f"adversarial_day{n}.yaml", BENCH / "material" / f"day{n}.txt"


SET_PATH = BENCH / "adversarial_day1.yaml"
DAY1 = ROOT / "app" / "material" / "default" / "day1.txt"
# Sets on other days' questions, each written before any grader scored it: day 2 held out up
# to embedding-1.6, day 3 up to 1.7, day 4 up to 1.8 as first written, day 5 up to its last
# rules; days 6 and 7 written at once, day 6 read to write embedding-1.9, days 4, 5 and 7
# read to write 1.11; day 8 written for embedding-1.10, measured once for it and once for
# each version since, unread. Days 9 to 14 written at once by helper sessions that never saw
# the grader: days 9, 11, 12 and 13 measured with embedding-1.13 and read to write 1.14; days
# 10 and 14 held out, measured once with 1.13, once with 1.14 and once with 1.15, unread.
# Days 15 to 17 written the same way after 1.14 was final, measured with 1.13 and 1.14, then
# read to write 1.15. Days 18 and 19 written after 1.15 was final, measured with 1.13 and
# 1.15, then read to write 1.16; days 20 and 21 written then, measured with 1.15 and 1.16
# before being read (one day-21 answer was read, as a draft of 1.16 lost its cap). Days 22 and
# 23 written after 1.16 was final, measured with 1.16 and drafts of 1.17 before being read;
# days 24 and 25 written once 1.17's rules were chosen, measured with 1.16 and 1.17 unread.
# Days 26 to 33 written after 1.17 was final: 26 and 27 measured with 1.17 and with the claim
# judge of 1.18 unread (the judge never trains on them), 28 to 33 written to train the judge.
DAY2_SET_PATH, DAY2 = day_set(2)
DAY3_SET_PATH, DAY3 = day_set(3)
DAY4_SET_PATH, DAY4 = day_set(4)
DAY5_SET_PATH, DAY5 = day_set(5)
DAY6_SET_PATH, DAY6 = day_set(6)
DAY7_SET_PATH, DAY7 = day_set(7)
DAY8_SET_PATH, DAY8 = day_set(8)
DAY9_SET_PATH, DAY9 = day_set(9)
DAY10_SET_PATH, DAY10 = day_set(10)
DAY11_SET_PATH, DAY11 = day_set(11)
DAY12_SET_PATH, DAY12 = day_set(12)
DAY13_SET_PATH, DAY13 = day_set(13)
DAY14_SET_PATH, DAY14 = day_set(14)
DAY15_SET_PATH, DAY15 = day_set(15)
DAY16_SET_PATH, DAY16 = day_set(16)
DAY17_SET_PATH, DAY17 = day_set(17)
DAY18_SET_PATH, DAY18 = day_set(18)
DAY19_SET_PATH, DAY19 = day_set(19)
DAY20_SET_PATH, DAY20 = day_set(20)
DAY21_SET_PATH, DAY21 = day_set(21)
DAY22_SET_PATH, DAY22 = day_set(22)
DAY23_SET_PATH, DAY23 = day_set(23)
DAY24_SET_PATH, DAY24 = day_set(24)
DAY25_SET_PATH, DAY25 = day_set(25)
# The sets the claim judge of embedding-1.18 learns from (bench/claim_judge.py): every day but
# the held-out days (8, 10, 14) and the two measured unread (26, 27).
HELD_OUT_DAYS = (8, 10, 14)
UNREAD_DAYS = (26, 27)
TRAINING_DAYS = tuple(n for n in range(1, 34) if n not in HELD_OUT_DAYS and n not in UNREAD_DAYS)
DEFAULT_GRADER = "embedding"

# The hand grade (0-4) each kind of answer earns.
KIND_GRADES: dict[str, int] = {
    "strong": 4,
    "paraphrase": 4,
    "hedged": 4,
    "short_right": 3,
    "partial": 2,
    "swapped": 1,
    "negated": 1,
    "misconception": 1,
    "parroting": 0,
    "off_topic": 0,
}
RIGHT_KINDS = ("strong", "paraphrase", "hedged", "short_right")
WRONG_KINDS = ("swapped", "negated", "misconception", "parroting", "off_topic")


class AdversarialSetError(ValueError):
    """The adversarial YAML file is malformed."""


@dataclass(frozen=True)
class AdversarialAnswer:
    """One hand-written answer of a known kind to one question of the notes."""

    question: str
    kind: str
    grade: int
    text: str


@dataclass(frozen=True)
class FalseVerdict:
    """An answer whose verdict a user would call plainly wrong."""

    question: str
    kind: str
    score: float
    verdict: str


def load_set(path: Path = SET_PATH) -> list[AdversarialAnswer]:
    """Every answer of the set, in file order; AdversarialSetError if the file is malformed."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("questions"), list):
        raise AdversarialSetError(f"{path.name}: expected a mapping with a 'questions' list")
    answers: list[AdversarialAnswer] = []
    for i, entry in enumerate(raw["questions"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("question"), str):
            raise AdversarialSetError(f"{path.name}: question {i} has no 'question' text")
        if not isinstance(entry.get("answers"), list):
            raise AdversarialSetError(f"{path.name}: question {i} has no 'answers' list")
        for j, item in enumerate(entry["answers"]):
            where = f"{path.name}: question {i} answer {j}"
            if not isinstance(item, dict) or set(item) != {"kind", "grade", "text"}:
                raise AdversarialSetError(f"{where}: expected exactly kind, grade and text")
            kind, grade, text = item["kind"], item["grade"], item["text"]
            if kind not in KIND_GRADES:
                raise AdversarialSetError(f"{where}: unknown kind {kind!r}")
            if not isinstance(grade, int) or not 0 <= grade <= 4:
                raise AdversarialSetError(f"{where}: grade must be an integer 0-4")
            if not isinstance(text, str) or not text.strip():
                raise AdversarialSetError(f"{where}: empty text")
            answers.append(AdversarialAnswer(entry["question"], kind, grade, text.strip()))
    return answers


def notes_questions(path: Path) -> dict[str, GradingQuestion]:
    """The questions of a notes file as the importer stores them, key points included."""
    questions: dict[str, GradingQuestion] = {}
    for parsed in read_notes_file(path).questions:
        points = tuple(p.display for p in extract_key_points(parsed.answer))
        questions[question_key(parsed.question)] = GradingQuestion(
            question=parsed.question,
            reference_answer=parsed.answer,
            key_points=points,
            content_hash=parsed.content_hash,
        )
    return questions


def day1_questions(path: Path = DAY1) -> dict[str, GradingQuestion]:
    """The day-1 questions as the importer stores them, key points included, by question_key."""
    return notes_questions(path)


def rank_average(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1, tied values sharing the average of their ranks."""
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=float)
    sorted_x = x[order]
    start = 0
    while start < len(x):
        end = start
        while end + 1 < len(x) and sorted_x[end + 1] == sorted_x[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rho: Pearson correlation of tie-averaged ranks (nan if one side is constant)."""
    ra, rb = rank_average(a), rank_average(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = float(np.sqrt((ra @ ra) * (rb @ rb)))
    return float(ra @ rb) / denominator if denominator else float("nan")


def pairwise_accuracy(
    questions: Sequence[str], grades: Sequence[int], scores: Sequence[float]
) -> tuple[float, int]:
    """Share of same-question pairs of different grades that the scores order alike; ties half."""
    q = np.asarray([question_key(s) for s in questions])
    g = np.asarray(grades, dtype=float)
    s = np.asarray(scores, dtype=float)
    same = q[:, None] == q[None, :]
    ordered = np.sign(g[:, None] - g[None, :]) > 0  # each pair once: i graded above j
    mask = same & ordered
    agree = np.sign(s[:, None] - s[None, :])[mask]
    pairs = int(mask.sum())
    if not pairs:
        return float("nan"), 0
    return float(((agree > 0) + 0.5 * (agree == 0)).sum() / pairs), pairs


def false_verdicts(
    answers: Sequence[AdversarialAnswer], grades: Sequence[Grade]
) -> list[FalseVerdict]:
    """Wrong kinds graded `correct` and right kinds graded `incorrect`."""
    out: list[FalseVerdict] = []
    for answer, grade in zip(answers, grades, strict=True):
        wrong_pass = answer.kind in WRONG_KINDS and grade.verdict == "correct"
        right_fail = answer.kind in RIGHT_KINDS and grade.verdict == "incorrect"
        if wrong_pass or right_fail:
            out.append(FalseVerdict(answer.question, answer.kind, grade.score, grade.verdict))
    return out


def evaluate(
    grader: Grader, answers: Sequence[AdversarialAnswer], notes: Path = DAY1
) -> dict[str, Any]:
    """Grade every answer against its question in `notes`; summarise agreement with hand grades."""
    questions = notes_questions(notes)
    missing = sorted({a.question for a in answers if question_key(a.question) not in questions})
    if missing:
        raise AdversarialSetError(f"not questions of {notes.name}: {missing}")
    items = [(questions[question_key(a.question)], a.text) for a in answers]
    grades = grader.grade_batch(items)
    scores = [g.score for g in grades]
    hand = [a.grade for a in answers]
    accuracy, pairs = pairwise_accuracy([a.question for a in answers], hand, scores)
    by_kind: dict[str, dict[str, Any]] = {}
    for kind, expected in KIND_GRADES.items():
        picked = [
            (s, g.verdict)
            for a, s, g in zip(answers, scores, grades, strict=True)
            if a.kind == kind
        ]
        if not picked:
            continue
        kind_scores = [s for s, _ in picked]
        verdicts = [v for _, v in picked]
        by_kind[kind] = {
            "grade": expected,
            "answers": len(picked),
            "mean_score": round(float(np.mean(kind_scores)), 1),
            "min_score": round(min(kind_scores), 1),
            "max_score": round(max(kind_scores), 1),
            "correct": verdicts.count("correct"),
            "partially_correct": verdicts.count("partially_correct"),
            "incorrect": verdicts.count("incorrect"),
        }
    wrong = false_verdicts(answers, grades)
    return {
        "grader": grader.name,
        "grader_version": grader.version,
        "answers": len(answers),
        "questions": len({question_key(a.question) for a in answers}),
        "spearman": round(spearman(scores, hand), 3),
        "pairwise_accuracy": round(accuracy, 3),
        "pairs": pairs,
        "by_kind": by_kind,
        "false_verdicts": [vars(f) | {"score": round(f.score, 1)} for f in wrong],
        "scores": [
            {
                "question": a.question,
                "kind": a.kind,
                "grade": a.grade,
                "score": round(s, 1),
                "verdict": g.verdict,
            }
            for a, s, g in zip(answers, scores, grades, strict=True)
        ],
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as markdown: summary line, a table by kind, then the false verdicts."""
    source = f" of `{report['set']}` ({report['notes']})" if "set" in report else ""
    lines = [
        f"grader `{report['grader']}` {report['grader_version']}: {report['answers']} answers to "
        f"{report['questions']} questions{source}",
        "",
        f"- Spearman(score, hand grade): **{report['spearman']:.3f}**",
        f"- within-question pairwise order accuracy: **{report['pairwise_accuracy']:.3f}** "
        f"over {report['pairs']} pairs",
        f"- false verdicts: **{len(report['false_verdicts'])}**",
        "",
        "| kind | hand grade | n | mean score | min | max | correct | partial | incorrect |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, row in report["by_kind"].items():
        lines.append(
            f"| {kind} | {row['grade']} | {row['answers']} | {row['mean_score']:.1f} "
            f"| {row['min_score']:.1f} | {row['max_score']:.1f} | {row['correct']} "
            f"| {row['partially_correct']} | {row['incorrect']} |"
        )
    if report["false_verdicts"]:
        lines += ["", "| false verdict: question | kind | score | verdict |", "|---|---|---:|---|"]
        for f in report["false_verdicts"]:
            lines.append(f"| {f['question']} | {f['kind']} | {f['score']:.1f} | {f['verdict']} |")
    return "\n".join(lines)


def set_problems(answers: Sequence[AdversarialAnswer], notes: Path) -> list[str]:
    """What is wrong with a set written for a notes file, grading nothing: questions not in the
    notes word for word, questions without exactly one answer of each kind, grades that do not
    follow their kind. How a new set is checked before anyone grades it (`--check`)."""
    questions = notes_questions(notes)
    problems = sorted(
        {f"not a question of {notes.name}: {a.question}" for a in answers}
        - {f"not a question of {notes.name}: {q.question}" for q in questions.values()}
    )
    kinds: dict[str, Counter[str]] = {}
    for a in answers:
        kinds.setdefault(a.question, Counter())[a.kind] += 1
        if a.grade != KIND_GRADES[a.kind]:
            problems.append(f"{a.kind} graded {a.grade}, not {KIND_GRADES[a.kind]}: {a.question}")
    for question, counts in kinds.items():
        if counts != Counter(KIND_GRADES.keys()):
            problems.append(f"not one answer of each kind: {question}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Grade the adversarial set with one grader and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grader", default=DEFAULT_GRADER, help="registered grader name")
    parser.add_argument("--set", type=Path, default=SET_PATH, help="adversarial YAML file")
    parser.add_argument(
        "--notes", type=Path, default=DAY1, help="notes file the set's questions come from"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument(
        "--check", action="store_true", help="only check the set against the notes; grade nothing"
    )
    args = parser.parse_args(argv)
    if args.check:
        try:
            problems = set_problems(load_set(args.set), args.notes)
        except (AdversarialSetError, NotesError) as exc:
            problems = [str(exc)]
        print("\n".join(problems) or f"{args.set.name}: OK")
        return 1 if problems else 0
    try:
        grader = create_grader(args.grader, Settings(_env_file=None, embedding_warmup=False))
    except UnknownGraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"grading with {grader.name}...", file=sys.stderr)
    try:
        report = {"set": args.set.name, "notes": args.notes.name} | evaluate(
            grader, load_set(args.set), args.notes
        )
    except (AdversarialSetError, NotesError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GradingError as exc:
        # A registered grader that cannot grade here, e.g. an LLM grader without an endpoint.
        print(f"error: the {grader.name!r} grader could not grade: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
