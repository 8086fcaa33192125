"""Words of a text as the graders and the notes parser read them: words, stems, stop words,
glued sub-headings, and finding a quoted phrase in an answer."""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

import snowballstemmer

# A word: letters and digits, with an apostrophe suffix ("don't", "model's"). Found in the
# text `normalise` gives: "naïve" is one word, as "naive", and "don"t" is "don't".
WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
# Marks typed or pasted where an apostrophe belongs: ’ ‘ ´ ` ʼ ′ and the double quotes " “ ”
# ("don"t" in SemEval student answers). Between a letter and the ending of a contraction or
# a possessive ("don"t", "it´s", "we‘re", "bulb"s") one is an apostrophe; anywhere else it
# stays what it was, so a quote around "not" glues nothing to it.
# (The mark comes first in the pattern, its letter after: a scan tests the cheap class first.)
_CONTRACTION_MARK = re.compile(
    r"[’‘´`ʼ′\"“”](?<=[A-Za-z].)(?=(?:t|s|re|ve|ll|d|m)\b)", re.IGNORECASE
)
# Hyphens other than "-" (U+2010, and U+2011 non-breaking, which NFKD makes U+2010), and an
# en dash between two letters ("bias–variance"): a compound is written the same either way.
_HYPHEN = re.compile(r"\u2010|(?<=[A-Za-z])\u2013(?=[A-Za-z])")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LIST_SEPARATOR = re.compile(r"[,;/\n•|]|\s-\s|\band\b|\bor\b")
# A sub-heading glued onto the end of the previous sentence when the page lost its line break:
# "...like max_depth.Random Forest: This is..." or "...'I loved the movie!'One-Shot Prompting: ...".
# Words of a heading are bounded (and split only at spaces) so that a long run of letters is
# not scanned again from each of its capitals: unbounded, a 2 MB line of "aB" took minutes.
_GLUED_HEADING = re.compile(
    r"(?<=[a-z0-9.!?'\"”’):\]])"
    r"(?=[A-Z][A-Za-z0-9\-]{0,30}+(?: [A-Z(][A-Za-z0-9\-()]{0,30}+){0,4}+: \S)"
)
KEYWORD_LIST_MIN_WORDS = 5
KEYWORD_LIST_MIN_ITEMS = 4

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "etc",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "many",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "per",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "e.g",
        "i.e",
        "eg",
        "ie",
        "one",
    ]
)
# Words prose cannot do without (articles, auxiliaries, pronouns, prepositions); a list of
# terms has next to none of them.
_PROSE_MARKER_WORDS = """a an the is are was were be been being it its this that these those
    they we you i he she
    of to in on at for with by from as into than which who when where because so if then can
    could will would should does do did has have had there their our your"""
_PROSE_MARKERS = frozenset(_PROSE_MARKER_WORDS.split())


_STEMMERS = threading.local()


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) English stem: 'overfits' and 'overfitting' -> 'overfit',
    'dependent' and 'depend' -> 'depend', 'prediction' and 'predicts' -> 'predict'."""
    word = word.lower().replace("\u2019", "'")
    if word.endswith("ity"):
        # A noun in -ity names a dimension, not one end of it: "a model's complexity" is not
        # "complex", so it must not read as the opposite of "too simple".
        return word
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:  # a Snowball stemmer keeps state while it works: one per thread
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


@functools.lru_cache(maxsize=4_096)
def _fold(char: str) -> str:
    """One character without accents or compatibility forms: "ï" -> "i", "ﬁ" -> "fi"."""
    if unicodedata.category(char).startswith("S"):
        # A symbol stays one: "Excel™" is not "ExcelTM", and "don´t" keeps its mark for
        # `_CONTRACTION_MARK` (NFKD makes "´" a space and an accent).
        return char
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """The text as words are read from it: letters without accents ("naïve" -> "naive"),
    compatibility forms decomposed (NFKD: "ﬁ" -> "fi", full-width letters, a non-breaking
    space), other hyphens as "-", and an apostrophe look-alike in a contraction as "'"
    ("don"t", "isn´t" -> "don't", "isn't"). ASCII text changes only in such contractions.

    Its length may differ from the text's: offsets into the text (evidence, token offsets)
    come from `word_spans`, never from this string.
    """
    if not text.isascii():
        text = _HYPHEN.sub("-", _NON_ASCII.sub(lambda m: _fold(m[0]), text))
    elif '"' not in text and "`" not in text:
        return text
    return _CONTRACTION_MARK.sub("'", text)


def words(text: str) -> list[str]:
    """The lower-cased words of a text, read from `normalise(text)`."""
    return WORD.findall(normalise(text).lower().replace("’", "'"))


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """The words of `words(text)`, each with its start and end in `text` as given."""
    normalised = normalise(text)
    # Where each character of the normalised text came from: folding one character may
    # give none ("\u0301") or several ("ﬁ"); the other steps keep the length.
    origin = (
        None
        if text.isascii()
        else [i for i, c in enumerate(text) for _ in (c if c < "\x80" else _fold(c))]
    )
    spans = []
    for match in WORD.finditer(normalised):
        start, end = match.span()
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        spans.append((start, end, match.group().lower().replace("’", "'")))
    return spans


def is_content_word(word: str) -> bool:
    """A lower-cased word that carries meaning: not a single letter, not a stop word, and not a
    stop word with a clitic ("it's", "there's", "we're")."""
    return len(word) > 1 and word not in STOPWORDS and word.split("'")[0] not in STOPWORDS


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stop words, no single letters)."""
    return {stem(w) for w in words(text) if is_content_word(w)}


def prose_share(text: str) -> float:
    """Share of a text's words that only prose uses (articles, auxiliaries, prepositions)."""
    ws = words(text)
    return sum(w in _PROSE_MARKERS for w in ws) / len(ws) if ws else 0.0


def is_keyword_list(text: str) -> bool:
    """True for a bare list of terms: several short items and next to no function words."""
    ws = words(text)
    items = [i for i in _LIST_SEPARATOR.split(text) if i and i.strip(" .-*")]
    # "push and pop" answers a question that asks for two things; four or more bare terms
    # are a list of keywords. Prose runs at 25-40% function words, a list near 0.
    return (
        len(ws) >= KEYWORD_LIST_MIN_WORDS
        and len(items) >= KEYWORD_LIST_MIN_ITEMS
        and len(ws) / len(items) <= 3.5
        and prose_share(text) < 0.1
    )


# What introduces a bare enumeration ("There's A, B and C", "It has A, B, C"): a frame with no
# claim of its own.
_LIST_FRAME = re.compile(
    r"^\s*(?:(?:so|and|also|basically|well),?\s+)?"
    r"(?:(?:there|it|they|this|these|those|that|which)(?:'s|'re| is| are| has| have| uses?|"
    r" includes?| involves?)|there's|(?:we|you) (?:have|use|need)|(?:we|you)(?:'ve)? got|"
    r"such as|including|like|e\.g\.,?|for example,?)\s+",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^\s*(?:the|a|an|some|more|other)\s+", re.IGNORECASE)
_ARTICLES = frozenset({"the", "a", "an"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# A sentence "restates" when it adds at most this many content words to the question's
# ("It's a very fundamental tradeoff in machine learning.").
_RESTATING_NEW_WORDS = 3
# Words that praise or hedge a claim without making one ("both really important to get
# right", "the key thing"): a restatement may use any number of them.
_FILLER_STEMS = frozenset(
    stem(w)
    for w in """basically really actually important importance key thing things crucial
    essential fundamental main core get got right whole stuff lot lots big deal matter matters
    good great""".split()  # noqa: SIM905
)


# The most written words a listed term has ("long short-term memory" is three).
_TERM_WORDS = 3


def _list_items(sentence: str) -> list[str]:
    """The items of a sentence read as a list, each without its frame and article."""
    return [
        term
        for raw in _LIST_SEPARATOR.split(sentence.strip().rstrip(".!?"))
        if words(term := _ARTICLE.sub("", _LIST_FRAME.sub("", raw.strip(" .-*:"))))
    ]


def _written_words(term: str) -> int:
    """A term's length in written words: "short-term" is one, an article none ("the area
    under the curve" is three)."""
    return len([w for w in term.split() if w.lower() not in _ARTICLES])


def is_bare_enumeration(sentence: str) -> bool:
    """True for a sentence that only lists terms ("There's bias, variance, complexity and the
    sweet spot."): at least four short items, each at most three written words after its frame
    ("long short-term memory" is three)."""
    terms = _list_items(sentence)
    items = [words(term) for term in terms]
    return (
        len(items) >= KEYWORD_LIST_MIN_ITEMS
        and all(_written_words(term) <= _TERM_WORDS for term in terms)
        and sum(w in _PROSE_MARKERS for i in items for w in i) <= len(items) // 4
    )


def _lists_and_restates(sentence: str, question: str, question_stems: set[str]) -> bool:
    """True for a sentence that lists terms and, around the list, only restates the question:
    "There's the logit mask, compiling the constraint, the tokenization problem and the
    guarantee, and so the output is valid JSON that follows the grammar." At least four short
    items; the longer ones, together, add at most three content words to the question's."""
    terms = _list_items(sentence)
    longer = [term for term in terms if _written_words(term) > _TERM_WORDS]
    if len(terms) - len(longer) < KEYWORD_LIST_MIN_ITEMS:
        return False
    added: set[str] = set()
    for term in longer:
        added |= _new_stems(term, question_stems) - spelled_out(term, question)
    return len(added) <= _RESTATING_NEW_WORDS


def asked_sentences(question: str) -> list[str]:
    """The sentences of a question that ask ("... Is the valve open or closed?"), when it has
    others too: a scenario's question is its asking part, and an answer that only echoes that
    part ("the valve is open or closed") restates the question as much as one that echoes all
    of it. A single sentence gives none: it is the question itself."""
    sentences = [s.strip() for s in _SENTENCE_END.split(question.strip()) if words(s)]
    if len(sentences) < 2:
        return []
    return [s for s in sentences if s.endswith("?")]


def _new_stems(sentence: str, question_stems: set[str]) -> set[str]:
    """Content stems a sentence adds to the question's, fillers aside; a stem that begins
    another of the question's is the question's ("dimens" of "dimensions" and "dimension" of
    "dimensionality"), and so is one that holds it after a prefix ("miscalibr" of
    "miscalibration" holds "calibr")."""
    return {
        w
        for w in content_stems(sentence) - question_stems - _FILLER_STEMS
        if "'" not in w
        and not any(
            min(len(w), len(q)) >= 5 and (q.startswith(w) or q in w) for q in question_stems
        )
    }


# An abbreviation as written: two to six capitals, perhaps with digits ("MSE", "HNSW", "R2").
_ABBREVIATION = re.compile(r"\b[A-Z][A-Z0-9]{1,5}s?\b")


def spelled_out(text: str, question: str) -> set[str]:
    """Content stems of the words of `text` that spell out an abbreviation the question
    writes: "mean squared error" for MSE, "inverted file" for IVF (initials in order; a stop
    word may sit between them, "area under the curve"). Saying what an abbreviation stands for
    says nothing the question did not."""
    tokens = words(text)
    found: set[str] = set()
    for abbreviation in set(_ABBREVIATION.findall(question)):
        initials = [c.lower() for c in abbreviation.removesuffix("s") if c.isalpha()]
        if len(initials) < 2:
            continue
        for start in range(len(tokens)):
            end, matched = start, 0
            while matched < len(initials) and end < len(tokens):
                if tokens[end].startswith(initials[matched]):
                    matched += 1
                elif not (matched and tokens[end] in STOPWORDS):
                    break
                end += 1
            if matched == len(initials):
                found |= {stem(w) for w in tokens[start:end] if is_content_word(w)}
    return found


def names_terms_only(text: str, question: str) -> bool:
    """True for an answer that lists the topic's terms and otherwise only restates the
    question: every sentence is an enumeration (bare, or with a restatement around it) or adds
    at most three content words to the question's.

    It is the keyword list of `is_keyword_list` dressed in sentences ("Prompt engineering is
    engineering prompts. There's zero-shot, few-shot, chain-of-thought and roles. Those are
    the techniques."): it names what a good answer would explain, and claims nothing.
    """
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if words(s)]
    question_stems = content_stems(question)
    listed = restated = False
    for sentence in sentences:
        if is_bare_enumeration(sentence) or _lists_and_restates(sentence, question, question_stems):
            listed = True
            continue
        # "The classes are imbalanced, so you need techniques: resampling, class weights, ..."
        # or the list first: "Centroids, linkage, the elbow method: that's the difference."
        lead_in, colon, after = sentence.rpartition(":")
        if colon and is_bare_enumeration(after):
            listed, sentence = True, lead_in
        elif colon and is_bare_enumeration(lead_in):
            listed, sentence = True, after
        new = _new_stems(sentence, question_stems) - spelled_out(sentence, question)
        if len(new) > _RESTATING_NEW_WORDS:
            return False
        restated = True
    # A bare list alone is `is_keyword_list`'s to judge (a list answers a question that asks
    # to name things); dressed in restatements of the question it is a dodge.
    return listed and restated


# Opposites, as pairs of synonym groups. "Concept" opposites flip a claim wherever they sit;


# A capital and a few lower-case letters right before a glued heading's capital make one
# name written in camel case ("LoRA (Low-Rank Adaptation): ...", "GloVe", "PyTorch"), not a
# sentence's last word; so does a single lower-case letter ("nDCG (normalized ...): ...",
# "kNN", "mAP"), which no sentence ends on.
_CAMEL_START = re.compile(r"(?:^|[^A-Za-z])(?:[A-Z][a-z]{1,3}|[a-z])$")


def split_glued_headings(text: str) -> str:
    """Put back the line break lost before a sub-heading glued to the previous sentence."""
    return _GLUED_HEADING.sub(
        lambda m: "" if _CAMEL_START.search(text, max(0, m.start() - 5), m.start()) else "\n",
        text,
    )


# Quote marks a writer (or a model quoting an answer) may swap for one another.
_QUOTE_MARKS = "\"'“”‘’`«»„‚"
_QUOTE_FOLD = str.maketrans({c: "'" for c in _QUOTE_MARKS})


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` with case, quote marks and whitespace runs folded, and where each char came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                origin.append(index)
            continue
        for folded in char.lower().translate(_QUOTE_FOLD):
            chars.append(folded)
            origin.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return "".join(chars), origin


def find_phrase(text: str, phrase: str) -> tuple[int, int] | None:
    """Where `text` says `phrase` (any case, spacing or quote marks), or None.

    Graders and models re-wrap lines, change case and swap quote marks when they quote;
    anything else (a paraphrase, words left out) is not found.
    """
    if not phrase.strip():
        return None
    exact = text.find(phrase)
    if exact >= 0:
        return exact, exact + len(phrase)
    needle, _ = _folded(phrase.strip())
    haystack, origin = _folded(text)
    start = haystack.find(needle)
    if not needle or start < 0:
        return None
    return origin[start], origin[start + len(needle) - 1] + 1
