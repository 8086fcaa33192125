"""Graders on the questions the claim judge never saw in training (its validation split).

The claim judge is trained on the SemEval-2013 training answers and mohler.csv, minus a fixed
20% of the questions (chosen by a hash of the question id, `claim_pairs.split_of`). This
benchmark grades only the answers to those held-out questions, so its figures are for unseen
questions. Usage:

    .venv/bin/python -m research.claim_judge.heldout [--graders claims embedding] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.grading.base import Grader  # noqa: E402
from app.grading.evaluation import run_eval  # noqa: E402
from app.grading.registry import create_grader  # noqa: E402
from research.claim_judge.pairs import split_of  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"


def heldout_files(folder: Path) -> dict[str, Path]:
    """CSV files of the held-out questions' answers: SemEval per corpus, and mohler."""
    out: dict[str, Path] = {}
    semeval = DATASETS / "semeval2013_train.csv"
    with semeval.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    for corpus in ("beetle", "scientsbank"):
        keep = [
            r
            for r in rows
            if r["dataset"] == corpus
            and split_of(f"semeval:{r['dataset']}:{r['question_id']}") == "validation"
        ]
        out[f"semeval-{corpus}"] = _write(folder / f"semeval-{corpus}.csv", header, keep)
    mohler = DATASETS / "mohler.csv"
    with mohler.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    keep = [r for r in rows if split_of(f"mohler:{r['question_id']}") == "validation"]
    out["mohler"] = _write(folder / "mohler.csv", header, keep)
    return out


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _grader(name: str, settings: Settings) -> Grader:
    if name == "claims":
        from app.grading.embedder import SentenceTransformerEmbedder
        from research.claim_judge.grader import ClaimGrader
        from research.claim_judge.model import ClaimJudge

        return ClaimGrader(SentenceTransformerEmbedder(), ClaimJudge())
    return create_grader(name, settings)


def main() -> None:
    """Grade the held-out answers with each grader and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graders", nargs="+", default=["claims", "embedding"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings(_env_file=None, embedding_warmup=False)  # type: ignore[call-arg]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        files = heldout_files(Path(tmp))
        for name in args.graders:
            grader = _grader(name, settings)
            for label, path in files.items():
                report = run_eval(path, grader=grader)
                results.append(
                    {
                        "data": label,
                        "grader": f"{grader.name} {grader.version}",
                        "answers": report.n,
                        "questions": report.n_questions,
                        "pearson": round(report.pearson, 3),
                        "auc": None if report.roc_auc is None else round(report.roc_auc, 3),
                        "macro_f1": None if report.macro_f1 is None else round(report.macro_f1, 3),
                    }
                )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("| data (held-out questions) | grader | answers | questions | Pearson | AUC | macro-F1 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['data']} | {r['grader']} | {r['answers']} | {r['questions']} | {r['pearson']} "
            f"| {r['auc'] if r['auc'] is not None else '–'} "
            f"| {r['macro_f1'] if r['macro_f1'] is not None else '–'} |"
        )


if __name__ == "__main__":
    main()
