"""Training the claim judge from hand-graded answers (`make train-grader`, docs/claim-judge.md).

Each answer is a bag of (key point, answer span) pairs, labelled only as a whole: wrong (it
swaps, negates or misstates a claim) or not. The judge learns which pair makes an answer wrong
(multiple-instance learning: the answer's logit is the soft maximum of its pairs'). Seeded and
single-threaded, so the same data gives the same weights on the same machine.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.grading.claim_judge import Pair, bag_logits, build_network

EPOCHS = 4
SEED = 13
LEARNING_RATE = 5e-4
BATCH = 16


@dataclass(frozen=True)
class Example:
    """One graded answer as the judge reads it."""

    group: str  # the set it comes from: cross-validation holds out whole sets
    wrong: bool
    pairs: Sequence[Pair]


def train(
    examples: Sequence[Example],
    *,
    epochs: int = EPOCHS,
    seed: int = SEED,
    log: Callable[[str], None] = print,
) -> Any:
    """A network trained on the examples (binary cross-entropy on each answer's logit)."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    dim = next(p[0].shape[1] for e in examples for p in e.pairs)
    network = build_network(dim)
    optimizer = torch.optim.Adam(network.parameters(), lr=LEARNING_RATE)
    order = list(examples)
    for epoch in range(epochs):
        network.train()
        rng.shuffle(order)
        started, total = time.perf_counter(), 0.0
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            logits = bag_logits(network, [e.pairs for e in batch])
            target = torch.tensor([float(e.wrong) for e in batch])
            loss = F.binary_cross_entropy_with_logits(logits, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        log(
            f"epoch {epoch + 1}/{epochs}: loss {total / len(order):.4f} "
            f"({time.perf_counter() - started:.0f} s)"
        )
    network.eval()
    return network


def doubt_logits(network: Any, examples: Sequence[Example]) -> list[float]:
    """Each example's doubt logit under a trained network."""
    import torch

    out: list[float] = []
    with torch.no_grad():
        for start in range(0, len(examples), 64):
            chunk = examples[start : start + 64]
            out.extend(float(v) for v in bag_logits(network, [e.pairs for e in chunk]))
    return out


def save(network: Any, path: Path) -> int:
    """Write the weights as safetensors (float32); returns the file's size in bytes."""
    from safetensors.torch import save_file

    state = {k: v.detach().contiguous().float() for k, v in network.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata={"format": "pt"})
    return path.stat().st_size


def auc(wrong: Sequence[float], right: Sequence[float]) -> float:
    """The probability that a wrong answer's value is above a right one's (ties count half)."""
    w, r = np.asarray(wrong)[:, None], np.asarray(right)[None, :]
    return float((w > r).mean() + 0.5 * (w == r).mean())
