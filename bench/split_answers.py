"""Split a dataset's answers by question: graded examples for `eval --exemplars`, the rest held out.

Unseen-answer protocol: for every question a seeded random share of its answers becomes the
graded examples, the others are measured; no answer is in both. Questions are kept whole in
the sense that each one appears on both sides, so it measures what examples add to a
question the person has already graded some answers of.

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


def main() -> None:
    """Write the two CSVs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--examples", type=Path, required=True)
    parser.add_argument("--held-out", type=Path, required=True)
    parser.add_argument("--share", type=float, default=0.5, help="share of answers as examples")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    with args.dataset.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    by_question: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_question[row["question"]].append(row)
    rng = random.Random(args.seed)
    examples: list[dict[str, str]] = []
    held: list[dict[str, str]] = []
    for question in sorted(by_question):
        answers = by_question[question]
        rng.shuffle(answers)
        cut = round(len(answers) * args.share)
        examples += answers[:cut]
        held += answers[cut:]
    for path, part in ((args.examples, examples), (args.held_out, held)):
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(part)
    print(f"{len(examples)} examples, {len(held)} held out, {len(by_question)} questions")


if __name__ == "__main__":
    main()
