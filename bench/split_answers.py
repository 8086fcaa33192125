"""Split a dataset's answers: graded examples for `eval --exemplars`, the rest held out.

Unseen-answer protocol (`--unseen answers`, the default): for every question a seeded random
share of its answers becomes the graded examples, the others are measured; no answer is in
both. Each question appears on both sides, so it measures what examples add to a question
the person has already graded some answers of.

Unseen-question protocol (`--unseen questions`): a seeded random share of each data set's
questions gives all its answers as examples, the other questions are measured whole; no
question is on both sides. Only the examples' banks (one per `dataset` name) can help:
it measures what graded answers to some questions of a bank say about its other questions.

.venv/bin/python bench/split_answers.py DATA.csv --examples ex.csv --held-out held.csv [--share 0.5]
mock-interview eval held.csv                         # without examples
mock-interview eval held.csv --exemplars ex.csv      # with them
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path
from typing import TypeVar

Rows = list[dict[str, str]]
T = TypeVar("T")


def _deal(items: list[T], share: float, rng: random.Random) -> tuple[list[T], list[T]]:
    """`items` shuffled and cut: the first `share` of them, and the rest."""
    rng.shuffle(items)
    cut = round(len(items) * share)
    return items[:cut], items[cut:]


def by_answers(
    by_question: dict[str, Rows], *, share: float, rng: random.Random
) -> tuple[Rows, Rows]:
    """A share of every question's answers as examples, the rest held out."""
    examples: Rows = []
    held: Rows = []
    for question in sorted(by_question):
        taken, left = _deal(by_question[question], share, rng)
        examples += taken
        held += left
    return examples, held


def by_questions(
    by_question: dict[str, Rows], *, share: float, rng: random.Random
) -> tuple[Rows, Rows]:
    """All answers of a share of each data set's questions as examples, the others held out."""
    by_bank: dict[str, list[str]] = defaultdict(list)
    for question, answers in sorted(by_question.items()):
        by_bank[answers[0].get("dataset") or ""].append(question)
    examples: Rows = []
    held: Rows = []
    for bank in sorted(by_bank):
        taken, left = _deal(by_bank[bank], share, rng)
        examples += [row for q in taken for row in by_question[q]]
        held += [row for q in left for row in by_question[q]]
    return examples, held


def main() -> None:
    """Write the two CSVs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--examples", type=Path, required=True)
    parser.add_argument("--held-out", type=Path, required=True)
    parser.add_argument(
        "--share", type=float, default=0.5, help="share of answers (or questions) as examples"
    )
    parser.add_argument("--unseen", choices=("answers", "questions"), default="answers")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    with args.dataset.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    by_question: dict[str, Rows] = defaultdict(list)
    for row in rows:
        by_question[row["question"]].append(row)
    rng = random.Random(args.seed)
    split = by_questions if args.unseen == "questions" else by_answers
    examples, held = split(by_question, share=args.share, rng=rng)
    for path, part in ((args.examples, examples), (args.held_out, held)):
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(part)
    print(f"{len(examples)} examples, {len(held)} held out, {len(by_question)} questions")


if __name__ == "__main__":
    main()
