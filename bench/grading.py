"""Benchmark and hard cases of the embedding grader, beside the raw model.encode floor.

.venv/bin/python bench/grading.py               # latency, throughput, memory
.venv/bin/python bench/grading.py --hard-cases  # the day-1 hard-case table of docs/grading.md
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.grading.base import GradingQuestion  # noqa: E402
from app.grading.claim_judge import ClaimJudge  # noqa: E402
from app.grading.embedder import SentenceTransformerEmbedder  # noqa: E402
from app.grading.embedding import EmbeddingGrader  # noqa: E402
from app.grading.key_points import extract_key_points, split_sentences  # noqa: E402

DAY1 = Path(__file__).resolve().parents[1] / "app" / "material" / "default" / "day1.txt"

_QA = re.compile(
    r'Interviewer: "(?P<q>.*?)"\s*\nYour Answer: "(?P<a>.*?)"\s*\n(?=\d+\. |Part |Comments|$)', re.S
)

# What each kind should get: a range on the 0-100 scale a person would accept.
EXPECTED = {
    "good": "correct",
    "paraphrase": "correct",
    "wrong": "incorrect",
    "restated": "incorrect",
    "keywords": "incorrect",
    "off_topic": "incorrect",
    "empty": "incorrect",
}


@dataclass(frozen=True)
class HardCase:
    """One answer of a known kind to one day-1 question."""

    topic: str
    kind: str
    answer: str


def day1_questions(path: Path = DAY1) -> dict[str, tuple[str, str]]:
    """Day-1 questions by their interviewer text: (question, reference answer)."""
    text = path.read_text(encoding="utf-8")
    return {m["q"]: (m["q"], m["a"].strip()) for m in _QA.finditer(text)}


TOPICS = {
    "supervised": "Could you explain the difference between supervised and unsupervised learning?",
    "bias_variance": "What is the bias-variance tradeoff?",
    "overfitting": "How do you detect and prevent overfitting?",
    "transformer": "Can you explain the Transformer architecture and what makes it so effective?",
    "embeddings": (
        "What are word embeddings, and how do contextual embeddings like those from BERT differ "
        "from older models like Word2Vec?"
    ),
}

OFF_TOPIC = (
    "To make a good sourdough bread you feed the starter the night before, mix flour, water and "
    "salt, let the dough rise slowly in a cool place, and bake it in a very hot oven."
)

CASES: tuple[HardCase, ...] = (
    HardCase(
        "supervised",
        "good",
        "Supervised learning trains on labeled data: every input comes with the correct output, "
        "and the model learns the mapping from inputs to outputs, for example spam detection. "
        "It covers classification and regression. Unsupervised learning has no labels; the "
        "algorithm has to find structure in the data by itself, like K-Means clustering "
        "customers into segments or PCA for dimensionality reduction.",
    ),
    HardCase(
        "supervised",
        "paraphrase",
        "With supervision, each training example is paired with the answer we want, so the "
        "algorithm learns a function from features to targets, as in telling spam from normal "
        "mail or predicting house prices. Without supervision there are no target values at "
        "all, and the method must discover groups or patterns on its own, such as grouping "
        "shoppers by their buying behaviour.",
    ),
    HardCase(
        "supervised",
        "wrong",
        "Supervised learning uses unlabeled data and the algorithm finds clusters on its own, "
        "like K-Means. Unsupervised learning uses labeled data, where every input has the "
        "correct output, and it is used for classification and regression such as spam detection.",
    ),
    HardCase(
        "supervised",
        "restated",
        "The difference between supervised and unsupervised learning is that supervised learning "
        "is supervised while unsupervised learning is unsupervised, so they are different kinds "
        "of learning.",
    ),
    HardCase(
        "supervised",
        "keywords",
        "labeled data, unlabeled data, classification, regression, clustering, K-Means, PCA, "
        "spam detection, customer segmentation",
    ),
    HardCase("supervised", "off_topic", OFF_TOPIC),
    HardCase("supervised", "empty", ""),
    HardCase(
        "bias_variance",
        "good",
        "Bias is the error from a model that is too simple for the problem, so it underfits and "
        "misses the real pattern. Variance is the error from a model that is too sensitive to its "
        "training data, so it fits the noise and overfits, doing well on training data but poorly "
        "on unseen data. Making a model more complex lowers bias but raises variance, and the goal "
        "is the level of complexity that minimises the total error on new data.",
    ),
    HardCase(
        "bias_variance",
        "paraphrase",
        "A too-simple model makes systematic mistakes because it cannot represent the true "
        "relationship; that is bias, and it shows up as underfitting. A too-flexible model reacts "
        "to every quirk of the particular sample it saw; that is variance, which shows up as "
        "overfitting and bad generalisation. Adding capacity trades one for the other, so we look "
        "for the sweet spot with the smallest error on data the model has not seen.",
    ),
    HardCase(
        "bias_variance",
        "wrong",
        "Bias is the error from a model that is too complex, so it overfits the noise. Variance is "
        "the error from a model that is too simple, so it underfits. Making a model more complex "
        "increases bias and decreases variance, and the goal is to maximize complexity.",
    ),
    HardCase(
        "bias_variance",
        "restated",
        "The bias-variance tradeoff is the tradeoff between bias and variance. It is a tradeoff, "
        "so you have to trade off bias against variance.",
    ),
    HardCase(
        "bias_variance",
        "keywords",
        "bias, variance, underfitting, overfitting, model complexity, total error, sweet spot",
    ),
    HardCase("bias_variance", "off_topic", OFF_TOPIC),
    HardCase("bias_variance", "empty", "   "),
    HardCase(
        "overfitting",
        "good",
        "Overfitting is when the model learns the training data including its noise and fails to "
        "generalize. You detect it by comparing training and validation performance: the training "
        "error keeps going down while the validation error starts going up. To prevent it, get "
        "more data, use cross-validation, simplify the model, add L1 or L2 regularization, or use "
        "dropout in neural networks.",
    ),
    HardCase(
        "overfitting",
        "paraphrase",
        "A model overfits when it memorises its training examples, noise and all, and then does "
        "badly on new examples. I watch a held-out validation set during training; if validation "
        "loss rises while training loss still falls, it is overfitting. Remedies: collect more "
        "examples, pick a smaller model, penalise large weights with a regularization term, use "
        "k-fold cross-validation, and randomly drop units with dropout.",
    ),
    HardCase(
        "overfitting",
        "wrong",
        "Overfitting is when the model is too simple to capture the patterns in the training data. "
        "You detect it when the training error is high and the validation error is low. To "
        "prevent it, use less data, make the model more complex, and remove regularization and "
        "dropout.",
    ),
    HardCase(
        "overfitting",
        "restated",
        "You detect overfitting by detecting it, and you prevent overfitting by preventing it, "
        "because overfitting is something you need to detect and prevent.",
    ),
    HardCase(
        "overfitting",
        "keywords",
        "validation set, training error, more data, cross-validation, regularization, L1, L2, "
        "dropout, simpler model",
    ),
    HardCase("overfitting", "off_topic", OFF_TOPIC),
    HardCase("overfitting", "empty", ""),
    HardCase(
        "transformer",
        "good",
        "The Transformer, from 'Attention Is All You Need', drops the sequential processing of "
        "RNNs and processes the whole sequence at once with self-attention: each word computes "
        "attention scores against every other word, using queries, keys and values, so it can "
        "weigh the relevant context. Multi-head attention runs several attention heads in "
        "parallel to learn different relationships. Positional encodings are added to the "
        "embeddings because attention itself has no sense of word order. The original model is "
        "an encoder-decoder; BERT is encoder-only and GPT is decoder-only.",
    ),
    HardCase(
        "transformer",
        "paraphrase",
        "Instead of reading tokens one after another like a recurrent network, it looks at all "
        "tokens together: every token scores how much it should attend to each other token, via "
        "query, key and value projections, and mixes their values accordingly. It does this with "
        "several heads at once so different heads capture different relations. Since nothing in "
        "that is order-aware, position vectors are added to the token embeddings. Encoders like "
        "BERT suit understanding tasks; decoders like GPT generate text by predicting the next "
        "token.",
    ),
    HardCase(
        "transformer",
        "wrong",
        "The Transformer is a recurrent neural network that processes the input sequentially, one "
        "word at a time, so it does not need self-attention. It has no positional encodings "
        "because the recurrence already gives word order, and BERT is a decoder-only model while "
        "GPT is encoder-only.",
    ),
    HardCase(
        "transformer",
        "restated",
        "The Transformer architecture is an architecture called the Transformer, and it is "
        "effective because of what makes it so effective.",
    ),
    HardCase(
        "transformer",
        "keywords",
        "self-attention, multi-head attention, positional encoding, encoder, decoder, BERT, GPT, "
        "query key value",
    ),
    HardCase("transformer", "off_topic", OFF_TOPIC),
    HardCase("transformer", "empty", ""),
    HardCase(
        "embeddings",
        "good",
        "Embeddings are numerical vectors that represent words or text, so that words with "
        "similar meanings end up close together in the vector space. Static embeddings like "
        "Word2Vec and GloVe give each word one fixed vector, so 'bank' has the same vector in "
        "'river bank' and 'financial bank'. Contextual embeddings from BERT depend on the "
        "sentence: the model reads the whole sentence with self-attention, so 'bank' gets a "
        "different vector in each context.",
    ),
    HardCase(
        "embeddings",
        "paraphrase",
        "They turn words into dense lists of numbers where related meanings sit near each other. "
        "Older methods such as Word2Vec learn exactly one vector per vocabulary word, whatever the "
        "surrounding text, which cannot tell the two senses of an ambiguous word apart. BERT "
        "instead produces a vector for each occurrence, computed from the entire sentence around "
        "it, so the same word gets different representations in different contexts.",
    ),
    HardCase(
        "embeddings",
        "wrong",
        "Embeddings are lookup tables of word counts. Word2Vec embeddings are contextual, so the "
        "vector for 'bank' changes with the sentence, while BERT embeddings are static: BERT "
        "assigns a single fixed vector to each word regardless of context.",
    ),
    HardCase(
        "embeddings",
        "restated",
        "Word embeddings are embeddings of words, and contextual embeddings like those from BERT "
        "differ from older models like Word2Vec because they are different.",
    ),
    HardCase(
        "embeddings",
        "keywords",
        "vectors, Word2Vec, GloVe, BERT, ELMo, static, contextual, self-attention, semantic "
        "similarity",
    ),
    HardCase("embeddings", "off_topic", OFF_TOPIC),
    HardCase("embeddings", "empty", ""),
)


def grading_question(topic_or_question: str) -> GradingQuestion:
    """A day-1 question as the importer would store it, key points included."""
    question, reference = day1_questions()[TOPICS.get(topic_or_question, topic_or_question)]
    points = tuple(p.display for p in extract_key_points(reference))
    return GradingQuestion(question=question, reference_answer=reference, key_points=points)


def hard_case_table(grader: EmbeddingGrader) -> str:
    """A markdown table of every hard case, beside the plain answer-reference cosine."""
    items = [(grading_question(c.topic), c.answer) for c in CASES]
    grades = grader.grade_batch(items)
    answers = grader.embedder.encode([a for _, a in items])
    references = grader.embedder.encode([q.reference_answer for q, _ in items])
    lines = [
        "| topic | kind | expected | plain cosine x100 | score | verdict | flags "
        "| covered/partial/contradicted |",
        "|---|---|---|---:|---:|---|---|---|",
    ]
    for case, grade, a, r in zip(CASES, grades, answers, references, strict=True):
        statuses = [p.status for p in grade.key_points]
        counts = "/".join(str(statuses.count(s)) for s in ("covered", "partial", "contradicted"))
        cosine = 100 * float(a @ r) if case.answer.strip() else 0.0
        flags = ", ".join(grade.details.get("flags", [])) or "-"
        lines.append(
            f"| {case.topic} | {case.kind} | {EXPECTED[case.kind]} | {cosine:.0f} "
            f"| {grade.score:.1f} | {grade.verdict} | {flags} | {counts} of {len(statuses)} |"
        )
    return "\n".join(lines)


def typical_answers(n: int, *, words: int = 60, seed: int = 0) -> list[tuple[GradingQuestion, str]]:
    """Deterministic ~60-word answers built from day-1 reference sentences, cycling questions."""
    rng = random.Random(seed)
    questions = [grading_question(q) for q in day1_questions()]
    items: list[tuple[GradingQuestion, str]] = []
    for i in range(n):
        q = questions[i % len(questions)]
        sentences = split_sentences(q.reference_answer.replace("\n", " "))
        rng.shuffle(sentences)
        answer: list[str] = []
        while sentences and sum(len(s.split()) for s in answer) < words:
            answer.append(sentences.pop())
        items.append((q, " ".join(answer)))
    return items


def _rss_mb() -> float:
    # ru_maxrss is the process's peak resident set, in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class BenchRun:
    """One repetition: batched raw encode and batched grading of the same answers."""

    encode_s: float
    grade_s: float

    @property
    def ratio(self) -> float:
        return self.grade_s / self.encode_s


def first_answers(
    embedder: SentenceTransformerEmbedder,
    judge: ClaimJudge,
    items: list[tuple[GradingQuestion, str]],
    *,
    rounds: int,
) -> dict[str, object]:
    """The first answer to each question, graded cold and after `prepare` (as a grading worker
    does when an interview starts), on fresh graders sharing the loaded model.

    Each round times both ways back to back per question, in alternating order.
    """
    cold_ms: list[float] = []
    prepared_ms: list[float] = []
    prepare_ms: list[float] = []
    for round_ in range(rounds):
        for number, (question, answer) in enumerate(items):
            for way in ("cold", "prepared") if (round_ + number) % 2 == 0 else ("prepared", "cold"):
                grader = EmbeddingGrader(embedder, judge=judge)
                if way == "prepared":
                    t0 = time.perf_counter()
                    grader.prepare([question])
                    prepare_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                grader.grade(question, answer)
                elapsed = (time.perf_counter() - t0) * 1000
                (cold_ms if way == "cold" else prepared_ms).append(elapsed)
    return {
        "questions": len(items),
        "rounds": rounds,
        "cold_ms_p50": round(statistics.median(cold_ms), 1),
        "prepared_ms_p50": round(statistics.median(prepared_ms), 1),
        "prepare_ms_p50": round(statistics.median(prepare_ms), 1),
        # Per question and round, the two timings were taken back to back.
        "cold_over_prepared_median": round(
            statistics.median(c / p for c, p in zip(cold_ms, prepared_ms, strict=True)), 1
        ),
    }


def run_bench(
    *,
    n: int,
    repeats: int,
    single: int,
    batch_size: int,
    precision: str = "auto",
    first_rounds: int = 3,
) -> dict[str, object]:
    """Measure latency, throughput and peak memory of grading against the raw encode."""
    rss_start = _rss_mb()
    embedder = SentenceTransformerEmbedder(batch_size=batch_size, precision=precision)
    model = embedder.load()
    rss_model = _rss_mb()
    # The default grader: with the packaged claim judge, as registry's `embedding` builds it.
    judge = ClaimJudge(precision=embedder.precision)
    grader = EmbeddingGrader(embedder, judge=judge)
    items = typical_answers(n)
    answers = [a for _, a in items]
    mean_words = statistics.mean(len(a.split()) for a in answers)

    def raw_encode(texts: list[str]) -> None:
        # The floor runs in the same precision as the grader, so the ratio compares like with like.
        with embedder.precision_context():
            model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
            )

    # Warm-up: first calls pay for lazy initialisation; the reference side gets cached.
    raw_encode(answers[:batch_size])
    grader.grade_batch(items[:batch_size])
    started = time.perf_counter()
    fresh = EmbeddingGrader(embedder, judge=judge)
    fresh.grade_batch(items[: len(day1_questions())])
    cold_reference_s = time.perf_counter() - started

    first = first_answers(embedder, judge, items[: len(day1_questions())], rounds=first_rounds)

    runs: list[BenchRun] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        raw_encode(answers)
        t1 = time.perf_counter()
        grader.grade_batch(items)
        t2 = time.perf_counter()
        runs.append(BenchRun(encode_s=t1 - t0, grade_s=t2 - t1))

    single_encode: list[float] = []
    single_grade: list[float] = []
    for q, a in items[:single]:
        t0 = time.perf_counter()
        raw_encode([a])
        t1 = time.perf_counter()
        grader.grade(q, a)
        t2 = time.perf_counter()
        single_encode.append((t1 - t0) * 1000)
        single_grade.append((t2 - t1) * 1000)

    return {
        "answers": n,
        "mean_words": round(mean_words, 1),
        "batch_size": batch_size,
        "precision": embedder.precision,
        "repeats": repeats,
        "batched": {
            "raw_encode_per_s": round(n / statistics.median(r.encode_s for r in runs), 1),
            "grading_per_s": round(n / statistics.median(r.grade_s for r in runs), 1),
            # Each run's ratio compares two timings taken back to back; their median is the
            # figure least moved by the machine's other load.
            "overhead_ratio_median": round(statistics.median(r.ratio for r in runs), 3),
            "overhead_ratios": [round(r.ratio, 3) for r in runs],
        },
        "single": {
            "answers": single,
            "raw_encode_ms_p50": round(_percentile(single_encode, 0.5), 1),
            "raw_encode_ms_p95": round(_percentile(single_encode, 0.95), 1),
            "grading_ms_p50": round(_percentile(single_grade, 0.5), 1),
            "grading_ms_p95": round(_percentile(single_grade, 0.95), 1),
        },
        "cold_reference_side_s": round(cold_reference_s, 2),
        "first_answer": first,
        "memory_mb": {
            "peak_rss_before_model": round(rss_start, 1),
            "peak_rss_after_model_load": round(rss_model, 1),
            "peak_rss_after_grading": round(_rss_mb(), 1),
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark or print the hard-case table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hard-cases", action="store_true", help="print the hard-case table")
    parser.add_argument("-n", type=int, default=256, help="answers per batched run")
    parser.add_argument("--repeats", type=int, default=7, help="batched runs; medians reported")
    parser.add_argument("--single", type=int, default=100, help="answers graded one at a time")
    parser.add_argument(
        "--first-rounds", type=int, default=3, help="rounds of first answers, cold and prepared"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="encode batch size")
    parser.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "float32", "bfloat16"],
        help="model precision (auto: bfloat16 where the CPU has it natively)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if args.hard_cases:
        embedder = SentenceTransformerEmbedder()
        judge = ClaimJudge(precision=embedder.precision)
        print(hard_case_table(EmbeddingGrader(embedder, judge=judge)))
        return 0
    result = run_bench(
        n=args.n,
        repeats=args.repeats,
        single=args.single,
        batch_size=args.batch_size,
        precision=args.precision,
        first_rounds=args.first_rounds,
    )
    print(json.dumps(result, indent=2) if args.json else _format(result))
    return 0


def _format(r: dict[str, object]) -> str:
    b, s, m, f = r["batched"], r["single"], r["memory_mb"], r["first_answer"]
    assert isinstance(b, dict) and isinstance(s, dict) and isinstance(m, dict)
    assert isinstance(f, dict)
    return "\n".join(
        [
            f"{r['answers']} answers of {r['mean_words']} words on average, batch size "
            f"{r['batch_size']}, {r['precision']}, {r['repeats']} runs (medians)",
            f"batched   raw encode {b['raw_encode_per_s']}/s   grading {b['grading_per_s']}/s"
            f"   grading/encode time, median of runs {b['overhead_ratio_median']} (per run: "
            f"{', '.join(map(str, b['overhead_ratios']))})",
            f"single    raw encode p50 {s['raw_encode_ms_p50']} ms p95 {s['raw_encode_ms_p95']} ms"
            f"   grading p50 {s['grading_ms_p50']} ms p95 {s['grading_ms_p95']} ms",
            f"cold      reference side of {len(day1_questions())} questions: "
            f"{r['cold_reference_side_s']} s",
            f"first     answer to a question, {f['questions']} questions x {f['rounds']} rounds: "
            f"cold p50 {f['cold_ms_p50']} ms, prepared p50 {f['prepared_ms_p50']} ms "
            f"(cold/prepared per pair, median {f['cold_over_prepared_median']}); "
            f"prepare p50 {f['prepare_ms_p50']} ms",
            f"memory    peak RSS {m['peak_rss_before_model']} MB before the model, "
            f"{m['peak_rss_after_model_load']} MB after loading, "
            f"{m['peak_rss_after_grading']} MB after grading",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
