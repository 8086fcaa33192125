"""Train the claim judge of the default grader (embedding-1.18 on), or cross-validate it.

.venv/bin/python bench/claim_judge.py            # rebuild app/grading/claim_judge.safetensors
.venv/bin/python bench/claim_judge.py --cv 4     # AUC with whole days held out, no weights

Learns from bench/adversarial_day*.yaml of TRAINING_DAYS (every day but the held-out and the
unread ones): swapped, negated and misconception answers are wrong; strong, paraphrase, hedged,
short right and partial ones are not; parroting and off-topic answers, which other guards
handle, are left out. docs/claim-judge.md has the protocol and the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.grading.claim_judge import DEFAULT_WEIGHTS  # noqa: E402
from app.grading.claim_training import (  # noqa: E402
    EPOCHS,
    SEED,
    Example,
    auc,
    doubt_logits,
    save,
    train,
)
from app.grading.embedder import SentenceTransformerEmbedder  # noqa: E402
from app.grading.embedding import EmbeddingGrader  # noqa: E402
from app.material.notes import question_key  # noqa: E402
from bench.adversarial import (  # noqa: E402
    DAY1,
    SET_PATH,
    TRAINING_DAYS,
    day_set,
    load_set,
    notes_questions,
)

WRONG = ("swapped", "negated", "misconception")
NOT_WRONG = ("strong", "paraphrase", "hedged", "short_right", "partial")


def examples(days: tuple[int, ...], log: bool = True) -> list[Example]:
    """The graded answers of the days as the judge reads them, through the grader's encodings."""
    grader = EmbeddingGrader(SentenceTransformerEmbedder())
    out: list[Example] = []
    for n in days:
        set_path, notes = (SET_PATH, DAY1) if n == 1 else day_set(n)
        questions = notes_questions(notes)
        kept = [a for a in load_set(set_path) if a.kind in WRONG + NOT_WRONG]
        inputs = grader.claim_inputs([(questions[question_key(a.question)], a.text) for a in kept])
        out.extend(
            Example(group=f"day{n}", wrong=a.kind in WRONG, pairs=pairs)
            for a, pairs in zip(kept, inputs, strict=True)
        )
        if log:
            print(f"day {n}: {len(kept)} answers", flush=True)
    return out


def cross_validate(data: list[Example], folds: int, epochs: int, seed: int) -> None:
    """Train on all days but every `folds`-th one, in turn; AUC on the days left out."""
    groups = sorted({e.group for e in data}, key=lambda g: int(g[3:]))
    logits: dict[int, float] = {}
    for fold in range(folds):
        held = set(groups[fold::folds])
        network = train([e for e in data if e.group not in held], epochs=epochs, seed=seed)
        rest = [i for i, e in enumerate(data) if e.group in held]
        for i, v in zip(rest, doubt_logits(network, [data[i] for i in rest]), strict=True):
            logits[i] = v
    wrong = [logits[i] for i, e in enumerate(data) if e.wrong]
    right = [logits[i] for i, e in enumerate(data) if not e.wrong]
    print(f"cross-validated by day ({folds} folds): AUC wrong vs not wrong {auc(wrong, right):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "app" / "grading" / DEFAULT_WEIGHTS)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cv", type=int, default=0, help="folds by day; 0 trains the weights")
    parser.add_argument("--days", type=int, nargs="*", default=list(TRAINING_DAYS))
    args = parser.parse_args()
    started = time.perf_counter()
    data = examples(tuple(args.days))
    print(
        f"{len(data)} answers ({sum(e.wrong for e in data)} wrong) in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    if args.cv:
        cross_validate(data, args.cv, args.epochs, args.seed)
    else:
        size = save(train(data, epochs=args.epochs, seed=args.seed), args.out)
        print(f"wrote {args.out} ({size / 1e6:.1f} MB)")
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
