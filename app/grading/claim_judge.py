"""The claim judge: how likely an answer states one of its key points wrongly.

A small network, trained by the project (`mock-interview train-grader`, docs/claim-judge.md),
reads each key point beside the answer span the grader matched to it, token by token, from the
MiniLM vectors the grader has already computed. Each pair gets a "contradicted minus stated"
logit; the answer's doubt is the soft maximum over its pairs, because one wrong claim makes a
wrong answer. It costs no extra pass of the embedding model.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np

# A point's first tokens say its claim; a long paragraph's tail is examples.
POINT_TOKENS = 128
SPAN_TOKENS = 64
HIDDEN = 200
DEFAULT_WEIGHTS = "claim_judge.safetensors"
# Pairs judged in one pass: the fastest size measured (bench/grading.py), little memory.
PAIRS_PER_PASS = 64

Pair = tuple[np.ndarray, np.ndarray]  # (point tokens, span tokens), each (n, dim)


def content_rows(tokens: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The token vectors of a text without its special tokens (offsets (0, 0))."""
    return _rows(tokens, ~((offsets[:, 0] == 0) & (offsets[:, 1] == 0)))


def span_rows(tokens: np.ndarray, offsets: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """The token vectors of the characters span[0]:span[1] of the encoded text."""
    start, end = span
    return _rows(tokens, (offsets[:, 0] >= start) & (offsets[:, 1] <= end) & (offsets[:, 1] > 0))


def _rows(tokens: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The rows kept: a view when they are one run (as they are), so that judging a large
    batch holds no copy of every point's vectors."""
    (kept,) = np.nonzero(keep)
    if len(kept) and kept[-1] - kept[0] + 1 == len(kept):
        return tokens[kept[0] : kept[-1] + 1]
    return tokens[keep]


def build_network(dim: int) -> Any:
    """The judge's network (ESIM-style): each side aligned softly to the other, the aligned
    pairs compared ([a; ã; a - ã; a * ã]), read in order by a bidirectional GRU, pooled."""
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    class ClaimNetwork(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Sequential(nn.Linear(4 * dim, HIDDEN), nn.ReLU())
            self.gru = nn.GRU(HIDDEN, HIDDEN // 2, batch_first=True, bidirectional=True)
            self.out = nn.Sequential(
                nn.Dropout(0.2),
                nn.Linear(4 * HIDDEN, HIDDEN),
                nn.ReLU(),
                nn.Dropout(0.2),
                nn.Linear(HIDDEN, 3),
            )
            self.bias = nn.Parameter(torch.zeros(()))

        def _side(self, a: Any, aligned: Any, mask: Any) -> Any:
            # proj([a; ã; a - ã; a * ã]) without building the concatenation: its four blocks
            # of weights folded into three products (the same function, less work and memory).
            linear = cast(nn.Linear, self.proj[0])
            weight, dim = linear.weight, a.shape[-1]
            own = weight[:, :dim] + weight[:, 2 * dim : 3 * dim]
            other = weight[:, dim : 2 * dim] - weight[:, 2 * dim : 3 * dim]
            z = torch.relu(
                nn.functional.linear(a, own, linear.bias)
                + nn.functional.linear(aligned, other)
                + nn.functional.linear(a * aligned, weight[:, 3 * dim :])
            )
            # Packed, so that the backward direction starts at each text's own last token: a
            # pair reads the same whatever it is batched with (one answer, or many at once).
            lengths = mask.sum(1).clamp(min=1).cpu()
            packed = pack_padded_sequence(z, lengths, batch_first=True, enforce_sorted=False)
            # The GRU in float32 even under bfloat16: on CPU it is faster so, and holds less.
            with torch.autocast("cpu", enabled=False):
                read, _ = self.gru(packed.float())
            z, _ = pad_packed_sequence(read, batch_first=True, total_length=z.shape[1])
            z = z * mask.unsqueeze(-1)
            mean = z.sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
            top = z.masked_fill(~mask.unsqueeze(-1), -1e4).max(1).values
            return torch.cat([mean, top], -1)

        def forward(self, p: Any, p_mask: Any, h: Any, h_mask: Any) -> Any:
            """Logits (stated, absent, contradicted) of each (point, span) pair."""
            e = torch.bmm(p, h.transpose(1, 2)) / 4.0
            p_al = torch.softmax(e.masked_fill(~h_mask.unsqueeze(1), -1e4), 2) @ h
            h_al = torch.softmax(e.masked_fill(~p_mask.unsqueeze(2), -1e4), 1).transpose(1, 2) @ p
            both = [self._side(p, p_al, p_mask), self._side(h, h_al, h_mask)]
            return self.out(torch.cat(both, -1))

    return ClaimNetwork()


def pad(arrays: Sequence[np.ndarray], limit: int) -> tuple[Any, Any]:
    """A batch of token arrays, zero-padded to the longest (at most `limit`), with its mask."""
    import torch

    n = min(max(len(a) for a in arrays), limit)
    x = np.zeros((len(arrays), n, arrays[0].shape[1]), np.float32)
    mask = np.zeros((len(arrays), n), bool)
    for i, a in enumerate(arrays):
        a = a[:n]
        x[i, : len(a)] = a
        mask[i, : len(a)] = True
    return torch.from_numpy(x), torch.from_numpy(mask)


def bag_logits(network: Any, bags: Sequence[Sequence[Pair]]) -> Any:
    """Each answer's doubt logit: the soft maximum of its pairs' contradicted-minus-stated
    logits, plus the network's bias; an answer with no pair gets the bias alone."""
    import torch

    flat = [(b, pair) for b, pairs in enumerate(bags) for pair in pairs]
    out = [network.bias - 5.0] * len(bags)
    if flat:
        p, p_mask = pad([pair[0] for _, pair in flat], POINT_TOKENS)
        h, h_mask = pad([pair[1] for _, pair in flat], SPAN_TOKENS)
        logits = network(p, p_mask, h, h_mask)
        per_pair = logits[:, 2] - logits[:, 0]
        owner = torch.tensor([b for b, _ in flat])
        for b in range(len(bags)):
            mine = per_pair[owner == b]
            if len(mine):
                out[b] = torch.logsumexp(mine, 0) + network.bias
    return torch.stack(out)


def pair_logits(network: Any, pairs: Sequence[Pair]) -> np.ndarray:
    """Each pair's contradicted-minus-stated logit (which point the doubt is about)."""
    p, p_mask = pad([pair[0] for pair in pairs], POINT_TOKENS)
    h, h_mask = pad([pair[1] for pair in pairs], SPAN_TOKENS)
    logits = network(p, p_mask, h, h_mask).float()
    return np.asarray((logits[:, 2] - logits[:, 0]).detach().numpy(), dtype=np.float64)


@dataclass(frozen=True)
class Doubt:
    """How likely the answer states a point wrongly, and which pair most."""

    probability: float
    worst: int | None  # index into the pairs judged; None with no pair


class ClaimJudge:
    """The packaged claim judge, loaded once, shared by threads (inference only)."""

    def __init__(self, weights: Path | None = None, *, precision: str = "float32") -> None:
        self.weights = weights
        # The embedder's precision: under bfloat16 (CPUs that do it natively) the judge runs
        # faster and its doubt moves by 0.003 at most (docs/claim-judge.md, Precision).
        self.precision = precision
        self._network: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._network is None:
                from safetensors.torch import load_file

                path = self.weights or Path(
                    str(resources.files("app.grading").joinpath(DEFAULT_WEIGHTS))
                )
                state = load_file(str(path))
                network = build_network(int(state["proj.0.weight"].shape[1]) // 4)
                network.load_state_dict({k: v.float() for k, v in state.items()})
                network.eval()
                self._network = network
            return self._network

    def _precision_context(self) -> contextlib.AbstractContextManager[Any]:
        import torch

        if self.precision == "bfloat16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def doubt(self, pairs: Sequence[Pair]) -> Doubt:
        """The probability that one of these (point, span) pairs is a wrong claim."""
        return self.doubts([pairs])[0]

    def doubts(self, bags: Sequence[Sequence[Pair]]) -> list[Doubt]:
        """The doubt of each answer's pairs, all judged in a few passes of the network: the
        same result as judging each answer alone (a pair reads the same in any batch)."""
        import torch

        network = self._load()
        bias = float(network.bias.detach())
        flat = [pair for bag in bags for pair in bag]
        # Pairs of like length share a pass, so that little of a pass is padding.
        order = sorted(range(len(flat)), key=lambda i: (len(flat[i][0]), len(flat[i][1])))
        per_pair = np.zeros(len(flat))
        with torch.no_grad(), self._precision_context():
            for start in range(0, len(order), PAIRS_PER_PASS):
                chosen = order[start : start + PAIRS_PER_PASS]
                per_pair[chosen] = pair_logits(network, [flat[i] for i in chosen])
        out: list[Doubt] = []
        at = 0
        for bag in bags:
            mine, at = per_pair[at : at + len(bag)], at + len(bag)
            if not len(mine):
                out.append(Doubt(_sigmoid(bias - 5.0), None))
                continue
            top = float(mine.max())
            logit = top + float(np.log(np.exp(mine - top).sum())) + bias
            out.append(Doubt(_sigmoid(logit), int(np.argmax(mine))))
        return out


def _sigmoid(logit: float) -> float:
    return float(1.0 / (1.0 + np.exp(-logit)))
