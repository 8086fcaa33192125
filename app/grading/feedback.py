"""What a grade tells the candidate, the same whichever grader gave it.

Feedback names what to add for each missed key point and corrects each contradicted one, in
the candidate's terms (from the point's label and first clause); it says nothing about points
already covered. Follow-up questions are asked from the point's label, the way an interviewer
would, and never quote the reference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.grading.base import KeyPointResult
from app.grading.key_points import drop_brackets, is_filler, split_heading
from app.grading.text import STOPWORDS

# Feedback is read at a glance: this many missed points are spelled out, the rest counted.
FEEDBACK_POINTS = 3
# How many words of a point's claim the feedback repeats.
CLAIM_WORDS = 14

# Flags a grader's guards raise, and what they tell the candidate first.
GUARD_MESSAGES = {
    "empty": "No answer given.",
    "off_topic": "This does not answer the question.",
    "restates_question": "This restates the question; explain the answer itself.",
    "keyword_list": "Explain how the terms connect in full sentences, not a list of keywords.",
    "too_short": "Say more: a few words are not an interview answer.",
}

# Labels that are an instruction ("Get More Data", "Use Dropout"): asked as "When would you…".
_IMPERATIVE = frozenset(
    """add apply avoid augment balance build check choose clip collect compare get
    increase decrease lower monitor normalize normalise prune raise reduce regularize
    regularise remove scale simplify split stop test train try tune use validate""".split()  # noqa: SIM905
)
_QUESTION_WORD = re.compile(r"^(?:how|why|when|what|which|where|who)\b", re.IGNORECASE)


def compose_feedback(
    results: Sequence[KeyPointResult],
    flags: Sequence[str] = (),
    *,
    doubted: str | None = None,
) -> str:
    """Feedback lines (joined by newlines): guards first, then each correction and addition.

    `doubted` is the label of a point whose claim the offline claim judge doubts: named, since
    the judge can be wrong, as something to check rather than a correction.
    """
    lines = [GUARD_MESSAGES[flag] for flag in GUARD_MESSAGES if flag in flags]
    if doubted:
        lines.append(f"Check what you said about {doubted}: it may not be what the notes say.")
    for result in results:
        if result.status == "contradicted" and not is_filler(result.text):
            lines.append(correction(result))
    missed = [r for r in results if r.status == "missed" and not is_filler(r.text)]
    lines.extend(what_to_add(r) for r in missed[:FEEDBACK_POINTS])
    if len(missed) > FEEDBACK_POINTS:
        more = len(missed) - FEEDBACK_POINTS
        lines.append(f"{more} more missed point{'s' if more > 1 else ''} below.")
    if not lines:
        partial = any(r.status == "partial" for r in results)
        lines.append(
            "Every key point is there; say the partly made ones in full."
            if partial
            else "Every key point is there."
        )
    return "\n".join(lines)


def what_to_add(result: KeyPointResult) -> str:
    """What to say for a missed point: "Mention cross-validation: use k folds to…"."""
    heading, text = split_heading(result.point)
    claim = _lower_first(_claim(text))
    if heading and _QUESTION_WORD.match(heading):
        return f"Say {_lower_first(heading)}: {claim}"
    if heading and heading.split()[0].lower() in _IMPERATIVE:
        return f"Say you would {_term(heading)}: {claim}"
    if heading:
        return f"Mention {_term(heading)}: {claim}"
    return f"Add that {claim}"


def correction(result: KeyPointResult) -> str:
    """What to correct for a contradicted point: "You said X; in fact Y"."""
    said = _words(result.evidence or "", CLAIM_WORDS).rstrip(".:;, ")
    fact = _lower_first(_claim(split_heading(result.point)[1]))
    if said:
        return f"You said \u201c{said}\u201d; in fact {fact}"
    return f"Check {_term(result.label)}: in fact {fact}"


def follow_up_question(point: str) -> str:
    """What an interviewer asks about a missed point, from its label, never quoting it."""
    heading, text = split_heading(point)
    if heading is None:
        return _question_about(text)
    if _QUESTION_WORD.match(heading):
        return _as_question(heading)
    first, _, rest = heading.partition(" ")
    if first.lower() in _IMPERATIVE and rest:
        return f"When would you {first.lower()} {_term(rest)}, and what does it buy you?"
    term = _term(heading)
    if _plural(heading):
        return f"How do {term} work, and when would you use them?"
    return f"How does {term} work, and when would you use it?"


# "Supervised learning uses labeled data" -> subject, verb: asked as "What does … use?".
_CLAIM = re.compile(
    r"^(?P<subject>(?:[\w'’()/-]+\s+){0,6}?[\w'’()/-]+)\s+"
    r"(?P<verb>is|are|happens|happen|occurs|occur|refers|refer|means|mean|uses|use|learns|learn"
    r"|helps|help|allows|allow|provides|provide|measures|measure|captures|capture|reduces"
    r"|reduce|prevents|prevent|maps|map|gives|give|makes|make|lies|lie|follows|follow"
    r"|assigns|assign|finds|find|includes|include|describes|describe|builds|build)\b"
    r"(?:\s+(?P<next>\w+))?",
)
_NOT_A_SUBJECT = re.compile(
    r"^(?:since|because|when|while|if|although|though|as|so|but|and|or|for|in|on|at|by|with"
    r"|other|another|an? \w+ like)\b",
    re.IGNORECASE,
)
_GOOD_FOR = frozenset(["great", "good", "excellent", "useful", "best", "ideal", "suited"])
_BASE_FORMS = {"lies": "lie", "happens": "happen", "occurs": "occur", "refers": "refer to"}


def _question_about(text: str) -> str:
    """Ask for a claim without saying it: "X uses Y" -> "What does X use?"."""
    match = _CLAIM.match(text.strip())
    subject = match["subject"] if match else ""
    if not match or _NOT_A_SUBJECT.match(subject) or subject.split()[-1].lower() in STOPWORDS:
        return "What else would you add to that answer, and why does it matter?"
    subject, verb, after = _term(subject), match["verb"], (match["next"] or "").lower()
    if verb in ("is", "are"):
        if after in _GOOD_FOR:
            return f"What {verb} {subject} good for?"
        if after == "given":
            return f"What {verb} {subject} given?"
        if after.endswith("ed"):
            return f"How {verb} {subject} {after}?"
        return f"What {verb} {subject}?"
    if verb in ("happens", "happen", "occurs", "occur"):
        return f"When does {subject} {_BASE_FORMS.get(verb, verb)}?"
    if verb in ("lies", "lie"):
        return f"Where does {subject} lie?"
    if verb.endswith("s"):
        base = _BASE_FORMS.get(verb, verb[:-2] if verb.endswith(("ches", "shes")) else verb[:-1])
        return f"What does {subject} {base}?"
    return f"What do {subject} {verb}?"


def _claim(text: str) -> str:
    """The first sentence of a claim without asides, a few words, ending in a full stop."""
    sentence = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]
    sentence = drop_brackets(sentence).strip()
    words = sentence.split()
    if len(words) > CLAIM_WORDS:
        # Cut at a comma when that leaves a whole clause, else between words.
        head = sentence.split(", ", 1)[0]
        if 6 <= len(head.split()) <= CLAIM_WORDS and not _SUBORDINATE.search(head):
            sentence = head
        else:
            kept = words[:CLAIM_WORDS]
            while len(kept) > 1 and kept[-1].lower().strip(",;:") in STOPWORDS:
                kept.pop()
            sentence = " ".join(kept).rstrip(",;:") + "\u2026"
    sentence = _PRONOUN_IT.sub("it ", _PRONOUN_THEY.sub("they ", sentence.rstrip(" ,;:")))
    ended = sentence.rstrip("'\"\u201d\u2019").endswith(("\u2026", ".", "!", "?"))
    return sentence if ended else sentence + "."


# A clause that needs the one after its comma: "since the model…, crafting it well…".
_SUBORDINATE = re.compile(
    r"\b(?:since|because|as|when|while|if|although|though|once|unless|whereas)\b", re.I
)
# "This technique randomly drops…" after "Mention dropout:" reads as "it randomly drops…".
_PRONOUN_IT = re.compile(
    r"^(?:This|That|It)(?:\s+(?:technique|method|model|approach|phase|step|idea))?\s+(?=\w)"
)
_PRONOUN_THEY = re.compile(r"^(?:These|Those|They)(?:\s+(?:models|techniques|methods))?\s+")


def _words(text: str, limit: int) -> str:
    """The first `limit` words of a text, with an ellipsis when cut."""
    words = text.split()
    return " ".join(words[:limit]) + ("\u2026" if len(words) > limit else "")


def _plural(heading: str) -> bool:
    """Whether a heading names several things ("Decision Trees"), for does/do."""
    words = drop_brackets(heading).split()
    last = words[-1].lower() if words else ""
    return last.endswith("s") and not last.endswith(("ss", "sis", "us", "ics"))


def _as_question(label: str) -> str:
    """A question-word heading as a question: "How to detect it" -> "How would you detect it?"."""
    text = re.sub(r"^(how|why|when|what|which|where)\s+to\s+", r"\1 would you ", label, flags=re.I)
    text = text.rstrip(" .?:")
    return text[0].upper() + text[1:] + "?"


def _term(words: str) -> str:
    """A heading as a term in a sentence: "Multi-Head Attention" -> "multi-head attention";
    its other names in brackets left out ("LoRA (Low-Rank Adaptation)" -> "LoRA")."""
    words = drop_brackets(words)
    return " ".join("-".join(_lower_word(part) for part in w.split("-")) for w in words.split())


def _lower_word(word: str) -> str:
    """A capitalised word in lower case; acronyms and names in capitals ("BERT", "SVMs") kept."""
    core = word.strip("()[]'\"\u201c\u201d,;:.")
    if core.isalpha() and (core == "A" or (core[:1].isupper() and core[1:].islower())):
        return word.replace(core, core.lower(), 1)
    return word


def _lower_first(text: str) -> str:
    """A sentence with its first word in lower case, unless an acronym ("BERT is…"); a
    heading-style name that opens it goes in lower case whole ("Supervised Learning uses…" ->
    "supervised learning uses…")."""
    ws = text.split(" ")
    n = 1
    while (
        n < min(len(ws), 4)
        and not ws[n - 1].endswith((":", ",", ";", "."))
        and ws[n][:1].isupper()
        and ws[n][1:].islower()
    ):
        n += 1
    return " ".join([_term(" ".join(ws[:n])), *ws[n:]])
