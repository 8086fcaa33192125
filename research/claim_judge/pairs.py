"""Training pairs for the claim judge: (key point, answer text) -> stated / contradicted / absent.

Two kinds of pairs, both split by question so that no question is trained on and reported on:

- **graded answers** from the shared data sets: a SemEval-2013 answer labelled correct states
  its reference, contradictory contradicts it, incorrect leaves it absent; a mohler answer with
  4.5-5 of 5 states its reference, one with 0-2.5 leaves it absent;
- **generated pairs** from reference sentences (the data sets' references and the first
  paragraphs of scikit-learn and torch.nn docstrings, definitions in the ML vocabulary
  interviews use): the sentence as said inside other sentences (stated), with its claim
  negated, an antonym put in, or two of its terms swapped (contradicted), and a neighbouring
  or unrelated sentence, the question, or the sentence's words shuffled (absent).

Everything is seeded: the same inputs give the same pairs in the same order.
"""

from __future__ import annotations

import csv
import inspect
import json
import random
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.grading.key_points import split_sentences

Label = Literal["stated", "contradicted", "absent"]
LABELS: tuple[Label, ...] = ("stated", "contradicted", "absent")
Split = Literal["train", "validation"]

VALIDATION_SHARE = 0.2
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


@dataclass(frozen=True)
class ClaimPair:
    """One training example: does `answer` state, contradict or leave out `point`?"""

    point: str
    answer: str
    label: Label
    source: str  # which generator or data set made it
    group: str  # the question or document it comes from: the unit of the split


@dataclass(frozen=True)
class Document:
    """A question with its reference sentences: what generated pairs are made from."""

    group: str
    question: str
    sentences: tuple[str, ...]


def split_of(group: str, share: float = VALIDATION_SHARE) -> Split:
    """The split a question belongs to, fixed by a hash of its id (stable across runs)."""
    return "validation" if zlib.crc32(group.encode()) % 1000 < share * 1000 else "train"


# --- graded answers -----------------------------------------------------------------------


def _overlap(a: str, b: str) -> float:
    wa, wb = set(_content(a)), set(_content(b))
    return len(wa & wb) / max(len(wb), 1)


def _content(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 2]


def semeval_pairs(path: Path) -> Iterator[ClaimPair]:
    """SemEval-2013 answers against the reference they match best."""
    mapping: dict[str, Label] = {
        "correct": "stated",
        "contradictory": "contradicted",
        "incorrect": "absent",
    }
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            refs = json.loads(row["reference_answers"] or "[]") or [row["reference_answer"]]
            answer = row["student_answer"].strip()
            if not answer:
                continue
            best = max(refs, key=lambda r: _overlap(answer, r))
            yield ClaimPair(
                point=best,
                answer=answer,
                label=mapping[row["label"]],
                source=f"semeval-{row['dataset']}",
                group=f"semeval:{row['dataset']}:{row['question_id']}",
            )


def mohler_pairs(path: Path) -> Iterator[ClaimPair]:
    """Mohler answers: full marks state the reference, low marks leave it out."""
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            score = float(row["score"]) / float(row["max_score"]) * 5
            label: Label | None = "stated" if score >= 4.5 else "absent" if score <= 2.5 else None
            if label is None or not row["student_answer"].strip():
                continue
            yield ClaimPair(
                point=row["reference_answer"].strip(),
                answer=row["student_answer"].strip(),
                label=label,
                source="mohler",
                group=f"mohler:{row['question_id']}",
            )


def dataset_documents(semeval: Path | None, mohler: Path | None) -> list[Document]:
    """Each question of the data sets with the sentences of its references."""
    docs: dict[str, Document] = {}
    for path, kind in ((semeval, "semeval"), (mohler, "mohler")):
        if path is None:
            continue
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if kind == "semeval":
                    group = f"semeval:{row['dataset']}:{row['question_id']}"
                    refs = json.loads(row["reference_answers"] or "[]") or [row["reference_answer"]]
                else:
                    group = f"mohler:{row['question_id']}"
                    refs = [row["reference_answer"]]
                if group in docs:
                    continue
                sentences = [s for r in refs for s in split_sentences(r) if _claim_like(s)]
                docs[group] = Document(group, row["question"].strip(), tuple(sentences))
    return [d for d in docs.values() if d.sentences]


# --- definitions from library documentation ------------------------------------------------

_RST = re.compile(r":\w+:`~?([^`]*)`|``([^`]*)``|`([^`]*)`")


def _first_paragraph(doc: str) -> str:
    text = inspect.cleandoc(doc).split("\n\n")[0]
    text = _RST.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    return " ".join(text.split())


def library_documents() -> list[Document]:
    """First paragraphs of scikit-learn estimators and torch.nn modules, as documents."""
    docs: list[Document] = []
    seen: set[str] = set()
    for module_name in _DOC_MODULES:
        try:
            module = __import__(module_name, fromlist=["_"])
        except ImportError:
            continue
        for name in sorted(getattr(module, "__all__", dir(module))):
            obj = getattr(module, name, None)
            if not inspect.isclass(obj) or not obj.__doc__:
                continue
            paragraph = _first_paragraph(obj.__doc__)
            sentences = tuple(s for s in split_sentences(paragraph) if _claim_like(s))
            if not sentences or paragraph in seen:
                continue
            seen.add(paragraph)
            docs.append(Document(f"doc:{module_name}.{name}", _name_question(name), sentences))
    return docs


_DOC_MODULES = (
    "sklearn.linear_model",
    "sklearn.ensemble",
    "sklearn.tree",
    "sklearn.svm",
    "sklearn.cluster",
    "sklearn.decomposition",
    "sklearn.neighbors",
    "sklearn.naive_bayes",
    "sklearn.model_selection",
    "sklearn.preprocessing",
    "sklearn.feature_extraction.text",
    "sklearn.metrics",
    "sklearn.neural_network",
    "sklearn.mixture",
    "sklearn.manifold",
    "sklearn.feature_selection",
    "sklearn.impute",
    "sklearn.calibration",
    "torch.nn",
    "torch.optim",
    "torch.optim.lr_scheduler",
)


def _name_question(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return f"What is {words} and what does it do?"


def _claim_like(sentence: str) -> bool:
    """A sentence that makes a claim: long enough, prose, no code or formula."""
    n = len(sentence.split())
    return (
        5 <= n <= 45
        and not re.search(r"[=<>{}\[\]\\]|>>>|\.\.\.|http", sentence)
        and sum(c.isalpha() for c in sentence) > 0.7 * len(sentence.replace(" ", ""))
    )


# --- perturbations -------------------------------------------------------------------------

_AUX = [
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "will",
    "would",
    "should",
    "must",
    "does",
    "do",
    "did",
    "has",
    "have",
    "may",
    "might",
    "cannot",
]
_NEGATED_AUX = {
    "is": "is not",
    "are": "are not",
    "was": "was not",
    "were": "were not",
    "can": "cannot",
    "could": "could not",
    "will": "will not",
    "would": "would not",
    "should": "should not",
    "must": "must not",
    "does": "does not",
    "do": "do not",
    "did": "did not",
    "has": "has not",
    "have": "have not",
    "may": "may not",
    "might": "might not",
}
_UNNEGATE = (
    (
        re.compile(r"\b(is|are|was|were|does|do|did|has|have|should|would|could|must|will) not\b"),
        r"\1",
    ),
    (re.compile(r"\bcannot\b"), "can"),
    (re.compile(r"\bcan't\b"), "can"),
    (re.compile(r"\b(is|are|was|were|does|do|did|has|have|should|would|could)n't\b"), r"\1"),
    (re.compile(r"\bnever\b"), "always"),
    (re.compile(r"\bwithout\b"), "with"),
    (re.compile(r"\bno longer\b"), "still"),
)

# Opposites a wrong answer says: each pair read both ways, matched as whole words.
_ANTONYMS = [
    "supervised/unsupervised",
    "labeled/unlabeled",
    "labelled/unlabelled",
    "increase/decrease",
    "increases/decreases",
    "increased/decreased",
    "increasing/decreasing",
    "more/less",
    "higher/lower",
    "high/low",
    "larger/smaller",
    "large/small",
    "bigger/smaller",
    "maximum/minimum",
    "maximize/minimize",
    "maximizes/minimizes",
    "before/after",
    "first/last",
    "overfitting/underfitting",
    "overfit/underfit",
    "static/contextual",
    "fixed/dynamic",
    "encoder/decoder",
    "input/output",
    "inputs/outputs",
    "classification/regression",
    "sequential/parallel",
    "sequentially/simultaneously",
    "continuous/discrete",
    "same/different",
    "positive/negative",
    "true/false",
    "correct/incorrect",
    "deterministic/random",
    "dependent/independent",
    "linear/nonlinear",
    "always/never",
    "all/none",
    "series/parallel",
    "open/closed",
    "closed/open",
    "add/remove",
    "adds/removes",
    "adding/removing",
    "faster/slower",
    "fast/slow",
    "cheaper/expensive",
    "simple/complex",
    "simpler/more_complex",
    "long/short",
    "longer/shorter",
    "stronger/weaker",
    "strong/weak",
    "increases/reduces",
    "reduce/increase",
    "above/below",
    "inside/outside",
    "attract/repel",
    "attracts/repels",
    "heavier/lighter",
    "heavy/light",
    "hotter/colder",
    "hot/cold",
    "gain/lose",
    "gains/loses",
    "conductor/insulator",
    "conductors/insulators",
    "training/test",
    "left/right",
    "top/bottom",
    "start/end",
    "beginning/end",
    "push/pop",
    "lifo/fifo",
    "stack/queue",
    "parent/child",
    "ascending/descending",
    "sorted/unsorted",
    "local/global",
    "private/public",
    "worst/best",
    "underestimate/overestimate",
    "sparse/dense",
    "rows/columns",
    "row/column",
    "mean/median",
    "bias/variance",
    "precision/recall",
    "rarely/often",
]
_ANTONYM: dict[str, str] = {}
for _pair in _ANTONYMS:
    _a, _b = _pair.replace("_", " ").split("/")
    _ANTONYM.setdefault(_a, _b)
    _ANTONYM.setdefault(_b, _a)


def negate(sentence: str, rng: random.Random) -> str | None:
    """The sentence with its claim negated (or a negation taken out), or None."""
    for pattern, repl in _UNNEGATE:
        if pattern.search(sentence):
            return pattern.sub(repl, sentence, count=1)
    words = sentence.split()
    aux = [i for i, w in enumerate(words) if w.lower() in _NEGATED_AUX]
    if aux:
        i = aux[0] if rng.random() < 0.7 else rng.choice(aux)
        words[i] = _NEGATED_AUX[words[i].lower()]
        return " ".join(words)
    # A verb in the third person after the subject: "X uses Y" -> "X does not use Y".
    for i, w in enumerate(words[1:6], start=1):
        bare = w.lower()
        if bare.endswith("s") and not bare.endswith("ss") and bare.isalpha() and len(bare) > 3:
            if bare in _STOP or bare.endswith("ous") or bare.endswith("is"):
                continue
            stem = bare[:-2] if bare.endswith(("ches", "shes", "sses", "xes")) else bare[:-1]
            words[i] = f"does not {stem}"
            return " ".join(words)
    return None


def antonym(sentence: str, rng: random.Random) -> str | None:
    """The sentence with one word replaced by its opposite, or None."""
    words = sentence.split()
    spots = [i for i, w in enumerate(words) if _bare(w) in _ANTONYM]
    if not spots:
        return None
    i = rng.choice(spots)
    bare = _bare(words[i])
    opposite = _ANTONYM[bare]
    if words[i][:1].isupper():
        opposite = opposite[:1].upper() + opposite[1:]
    words[i] = words[i].replace(words[i].strip(".,;:()'\""), opposite, 1)
    return " ".join(words)


def swap_terms(sentence: str, rng: random.Random) -> str | None:
    """Two of the sentence's terms swapped ("A feeds B" -> "B feeds A"), or None."""
    words = sentence.split()
    candidates = [
        i
        for i, w in enumerate(words)
        if len(_bare(w)) > 3 and _bare(w) not in _STOP and not _bare(w).endswith(("ly", "ing"))
    ]
    pairs = [
        (i, j)
        for i in candidates
        for j in candidates
        if j - i >= 2 and _bare(words[i]) != _bare(words[j])
    ]
    if not pairs:
        return None

    # Prefer proper terms (capitalised or with digits) and nouns after an article.
    def weight(p: tuple[int, int]) -> float:
        return sum(1.0 + 2.0 * _term_like(words, k) for k in p)

    i, j = rng.choices(pairs, weights=[weight(p) for p in pairs], k=1)[0]
    a, b = _bare(words[i]), _bare(words[j])
    words[i] = _replace_bare(words[i], b)
    words[j] = _replace_bare(words[j], a)
    return " ".join(words)


def _term_like(words: list[str], k: int) -> bool:
    w = words[k].strip(".,;:()'\"")
    after_article = k > 0 and words[k - 1].lower() in {"a", "an", "the", "of", "by"}
    return (w[:1].isupper() and k > 0) or any(c.isdigit() for c in w) or after_article


def _bare(word: str) -> str:
    return word.strip(".,;:()'\"!?").lower()


def _replace_bare(word: str, new: str) -> str:
    core = word.strip(".,;:()'\"!?")
    if core[:1].isupper():
        new = new[:1].upper() + new[1:]
    return word.replace(core, new, 1)


def substitute_term(sentence: str, terms: list[str], rng: random.Random) -> str | None:
    """One of the sentence's terms replaced by another term of its subject: the wrong subject."""
    words = sentence.split()
    spots = [k for k in range(len(words)) if _term_like(words, k) and len(_bare(words[k])) > 2]
    if not spots:
        return None
    k = rng.choice(spots)
    choices = [t for t in terms if t.lower() != _bare(words[k]) and t.lower() not in _STOP]
    if not choices:
        return None
    words[k] = _replace_bare(words[k], rng.choice(choices))
    return " ".join(words)


def shuffled_words(sentence: str, rng: random.Random) -> str:
    """The sentence's content words as a shuffled list: vocabulary without a claim."""
    words = _content(sentence)
    rng.shuffle(words)
    return ", ".join(words)


def light_paraphrase(sentence: str, rng: random.Random) -> str:
    """Small rewrites that keep the claim: case, parentheses, hedges, contractions."""
    text = sentence
    if rng.random() < 0.4:
        text = re.sub(r"\s*\([^)]*\)", "", text)
    if rng.random() < 0.3:
        text = text.lower()
    if rng.random() < 0.3:
        text = rng.choice(_OPENERS) + text[:1].lower() + text[1:]
    if rng.random() < 0.3:
        text = text.rstrip(".") + rng.choice(_CLOSERS)
    if rng.random() < 0.2:
        text = re.sub(r"\bis not\b", "isn't", re.sub(r"\bdoes not\b", "doesn't", text))
    return text


_OPENERS = (
    "Basically, ",
    "I think ",
    "So ",
    "In short, ",
    "Well, ",
    "As far as I know, ",
    "The way I see it, ",
)
_CLOSERS = (".", ", I believe.", ", roughly speaking.", " in practice.", ", if I remember right.")


# --- assembling -------------------------------------------------------------------------------


class _Sayer:
    """Puts a sentence into an answer: among 0-2 other sentences of its subject or others."""

    def __init__(self, documents: list[Document], rng: random.Random) -> None:
        self.rng = rng
        self.all_sentences = [(d, s) for d in documents for s in d.sentences]

    def context(self, doc: Document, exclude: str, k: int) -> list[str]:
        pool = [s for s in doc.sentences if s != exclude]
        others = [
            s for _, s in self.rng.sample(self.all_sentences, min(len(self.all_sentences), 3))
        ]
        pool = pool + [o for o in others if o != exclude]
        return self.rng.sample(pool, min(k, len(pool)))

    def embed(self, doc: Document, point: str, said: str) -> str:
        # The said sentence comes first half of the time, so that a length cut takes the
        # context, not the evidence; training also drops any pair that a cut would change
        # (`training.drop_truncated`), wherever the sentence sits.
        extra = self.context(doc, point, self.rng.choice((0, 0, 1, 1, 2)))
        if self.rng.random() < 0.5:
            return " ".join([said, *extra])
        sentences = [*extra, said]
        self.rng.shuffle(sentences)
        return " ".join(sentences)

    def terms_of(self, doc: Document) -> list[str]:
        found = []
        for s in doc.sentences:
            ws = s.split()
            found += [ws[k].strip(".,;:()'\"") for k in range(len(ws)) if _term_like(ws, k)]
        return found or [
            s for _, other in self.rng.sample(self.all_sentences, 2) for s in _content(other)
        ]


def generated_pairs(
    documents: list[Document], *, seed: int, per_sentence: int = 1
) -> list[ClaimPair]:
    """Pairs made from reference sentences; see the module docstring for the mix."""
    rng = random.Random(seed)
    sayer = _Sayer(documents, rng)
    all_sentences = sayer.all_sentences
    pairs: list[ClaimPair] = []
    embed, terms_of = sayer.embed, sayer.terms_of

    for doc, sentence in all_sentences:
        doc_terms = terms_of(doc)
        for _ in range(per_sentence):
            add = pairs.append
            add(
                ClaimPair(
                    sentence,
                    embed(doc, sentence, light_paraphrase(sentence, rng)),
                    "stated",
                    "gen-stated",
                    doc.group,
                )
            )
            for maker, name in (
                (negate, "gen-negated"),
                (antonym, "gen-antonym"),
                (swap_terms, "gen-swapped"),
            ):
                wrong = maker(sentence, rng)
                if wrong and wrong != sentence and rng.random() < 0.75:
                    add(
                        ClaimPair(
                            sentence,
                            embed(doc, sentence, light_paraphrase(wrong, rng)),
                            "contradicted",
                            name,
                            doc.group,
                        )
                    )
            wrong = substitute_term(sentence, doc_terms, rng)
            if wrong and wrong != sentence and rng.random() < 0.5:
                add(
                    ClaimPair(
                        sentence,
                        embed(doc, sentence, light_paraphrase(wrong, rng)),
                        "contradicted",
                        "gen-substituted",
                        doc.group,
                    )
                )
            neighbours = [s for s in doc.sentences if s != sentence]
            if neighbours:
                add(
                    ClaimPair(
                        sentence,
                        embed(doc, sentence, rng.choice(neighbours)),
                        "absent",
                        "gen-neighbour",
                        doc.group,
                    )
                )
            other_doc, other = rng.choice(all_sentences)
            if other_doc.group != doc.group:
                add(ClaimPair(sentence, other, "absent", "gen-unrelated", doc.group))
            if rng.random() < 0.3:
                add(ClaimPair(sentence, doc.question, "absent", "gen-question", doc.group))
            if rng.random() < 0.3:
                add(
                    ClaimPair(
                        sentence, shuffled_words(sentence, rng), "absent", "gen-keywords", doc.group
                    )
                )
    # A correct "not" is still the claim: a negated sentence states its own negation.
    for doc, sentence in rng.sample(all_sentences, len(all_sentences) // 4):
        wrong = negate(sentence, rng)
        if wrong and wrong != sentence:
            pairs.append(
                ClaimPair(
                    wrong,
                    embed(doc, sentence, light_paraphrase(wrong, rng)),
                    "stated",
                    "gen-negated-stated",
                    doc.group,
                )
            )
    return pairs


_WRONGS = (
    ("gen-negated", negate),
    ("gen-antonym", antonym),
    ("gen-swapped", swap_terms),
)


def balanced_pairs(
    documents: list[Document], *, seed: int, per_sentence: int = 2
) -> list[ClaimPair]:
    """The second stage's mix: as many near-copies that state a point as near-copies that
    contradict it, so that the judge reads the difference rather than learning that a
    near-copy is usually a contradiction; and a correct "not" stated as often as a wrong one."""
    rng = random.Random(seed)
    sayer = _Sayer(documents, rng)
    pairs: list[ClaimPair] = []
    for doc, sentence in sayer.all_sentences:
        doc_terms = sayer.terms_of(doc)
        for _ in range(per_sentence):
            said = sayer.embed(doc, sentence, light_paraphrase(sentence, rng))
            pairs.append(ClaimPair(sentence, said, "stated", "gen-stated", doc.group))
            makers = [(name, maker(sentence, rng)) for name, maker in _WRONGS] + [
                ("gen-substituted", substitute_term(sentence, doc_terms, rng))
            ]
            made = [(name, w) for name, w in makers if w and w != sentence]
            if made:
                name, wrong = rng.choice(made)
                said = sayer.embed(doc, sentence, light_paraphrase(wrong, rng))
                pairs.append(ClaimPair(sentence, said, "contradicted", name, doc.group))
            negated = negate(sentence, rng)
            if negated and negated != sentence and rng.random() < 0.5:
                said = sayer.embed(doc, sentence, light_paraphrase(negated, rng))
                pairs.append(ClaimPair(negated, said, "stated", "gen-negated-stated", doc.group))
            neighbours = [s for s in doc.sentences if s != sentence]
            if neighbours:
                said = sayer.embed(doc, sentence, rng.choice(neighbours))
                pairs.append(ClaimPair(sentence, said, "absent", "gen-neighbour", doc.group))
            other_doc, other = rng.choice(sayer.all_sentences)
            if other_doc.group != doc.group and rng.random() < 0.5:
                pairs.append(ClaimPair(sentence, other, "absent", "gen-unrelated", doc.group))
    return pairs


def claim_pairs(documents: list[Document], *, seed: int, repeats: int = 1) -> list[ClaimPair]:
    """One balanced mix, from the start: per reference sentence (a claim), two near-copies that
    state it (a light paraphrase, and the sentence negated read against its own negation: a
    correct "not") and two that contradict it (two different kinds of the negated / antonym /
    swapped / substituted generators), and the absent kinds (a neighbouring sentence, an
    unrelated one, sometimes the question or the words shuffled).

    The near-copies that state and that contradict a claim are exactly as many, so that a
    near-copy says nothing by itself: the judge has to read the difference.
    """
    rng = random.Random(seed)
    sayer = _Sayer(documents, rng)
    pairs: list[ClaimPair] = []
    for doc, sentence in [ds for _ in range(repeats) for ds in sayer.all_sentences]:
        doc_terms = sayer.terms_of(doc)
        makers = [(name, maker(sentence, rng)) for name, maker in _WRONGS] + [
            ("gen-substituted", substitute_term(sentence, doc_terms, rng))
        ]
        made = [(name, w) for name, w in makers if w and w != sentence]
        rng.shuffle(made)
        wrongs = made[:2]
        negated = negate(sentence, rng)
        for name, wrong in wrongs:
            said = sayer.embed(doc, sentence, light_paraphrase(wrong, rng))
            pairs.append(ClaimPair(sentence, said, "contradicted", name, doc.group))
        stated: list[tuple[str, str, str]] = [
            (sentence, light_paraphrase(sentence, rng), "gen-stated")
        ]
        if len(wrongs) == 2:
            if negated and negated != sentence and rng.random() < 0.5:
                stated.append((negated, light_paraphrase(negated, rng), "gen-negated-stated"))
            else:
                stated.append((sentence, light_paraphrase(sentence, rng), "gen-stated"))
        for point, said_text, name in stated[: max(1, len(wrongs))]:
            pairs.append(
                ClaimPair(point, sayer.embed(doc, sentence, said_text), "stated", name, doc.group)
            )
        neighbours = [s for s in doc.sentences if s != sentence]
        if neighbours:
            said = sayer.embed(doc, sentence, rng.choice(neighbours))
            pairs.append(ClaimPair(sentence, said, "absent", "gen-neighbour", doc.group))
        other_doc, other = rng.choice(sayer.all_sentences)
        if other_doc.group != doc.group and rng.random() < 0.5:
            pairs.append(ClaimPair(sentence, other, "absent", "gen-unrelated", doc.group))
        if rng.random() < 0.2:
            pairs.append(ClaimPair(sentence, doc.question, "absent", "gen-question", doc.group))
        if rng.random() < 0.2:
            keywords = shuffled_words(sentence, rng)
            pairs.append(ClaimPair(sentence, keywords, "absent", "gen-keywords", doc.group))
    return pairs


def claim_level_pairs(
    *,
    semeval: Path | None,
    mohler: Path | None,
    seed: int = 13,
    with_library_docs: bool = True,
    repeats: int = 1,
) -> list[ClaimPair]:
    """The second attempt's data: graded answers and the balanced claim-level mix (each
    reference sentence drawn `repeats` times, with fresh contexts and perturbations)."""
    graded: list[ClaimPair] = []
    if semeval is not None:
        graded.extend(semeval_pairs(semeval))
    if mohler is not None:
        graded.extend(mohler_pairs(mohler))
    documents = dataset_documents(semeval, mohler)
    if with_library_docs:
        documents += library_documents()
    return graded + claim_pairs(documents, seed=seed, repeats=repeats)


def stage_two_pairs(
    *,
    semeval: Path | None,
    mohler: Path | None,
    seed: int = 13,
    graded_share: float = 0.5,
    with_library_docs: bool = True,
) -> list[ClaimPair]:
    """The second stage: the balanced generated mix and a fixed share of the graded answers."""
    rng = random.Random(seed + 1)
    graded: list[ClaimPair] = []
    if semeval is not None:
        graded.extend(semeval_pairs(semeval))
    if mohler is not None:
        graded.extend(mohler_pairs(mohler))
    graded = [p for p in graded if rng.random() < graded_share]
    documents = dataset_documents(semeval, mohler)
    if with_library_docs:
        documents += library_documents()
    return graded + balanced_pairs(documents, seed=seed + 1)


def build_pairs(
    *,
    semeval: Path | None,
    mohler: Path | None,
    seed: int = 13,
    per_sentence: int = 2,
    with_library_docs: bool = True,
) -> list[ClaimPair]:
    """Every training and validation pair, in a fixed order."""
    graded: list[ClaimPair] = []
    if semeval is not None:
        graded.extend(semeval_pairs(semeval))
    if mohler is not None:
        graded.extend(mohler_pairs(mohler))
    documents = dataset_documents(semeval, mohler)
    if with_library_docs:
        documents += library_documents()
    return graded + generated_pairs(documents, seed=seed, per_sentence=per_sentence)


def summary(pairs: Iterable[ClaimPair]) -> dict[str, dict[str, int]]:
    """Counts of pairs by source and label, per split: the model card's data table."""
    counts: dict[str, Counter[str]] = {"train": Counter(), "validation": Counter()}
    for p in pairs:
        counts[split_of(p.group)][f"{p.source}/{p.label}"] += 1
    return {k: dict(sorted(v.items())) for k, v in counts.items()}


_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "they",
        "them",
        "we",
        "you",
        "i",
        "he",
        "she",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "into",
        "than",
        "which",
        "who",
        "when",
        "where",
        "because",
        "so",
        "if",
        "then",
        "can",
        "could",
        "will",
        "would",
        "should",
        "does",
        "do",
        "did",
        "has",
        "have",
        "had",
        "there",
        "their",
        "our",
        "your",
        "and",
        "or",
        "but",
        "not",
        "no",
        "also",
        "such",
        "other",
        "some",
        "any",
        "each",
        "more",
        "most",
        "very",
        "only",
        "just",
        "about",
        "over",
        "under",
        "between",
        "both",
        "all",
        "same",
        "using",
        "used",
        "uses",
        "use",
        "what",
        "how",
        "why",
    ]
)
