"""What a parsed notes file is, whatever format it came in."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


class NotesError(ValueError):
    """A notes file that cannot be imported; names the file and line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source = source
        self.line = line
        self.message = message

    def __reduce__(self) -> tuple[type[NotesError], tuple[str, int, str]]:
        # Raised in the upload's worker process and re-raised in the server's: pickled by its
        # own arguments, not by the formatted text.
        return (type(self), (self.source, self.line, self.message))


# Grades an example answer may carry in notes, on the 0-100 scale of every grader.
EXAMPLE_GRADES = {
    "strong": 100.0,
    "good": 100.0,
    "correct": 100.0,
    "partial": 50.0,
    "weak": 0.0,
    "wrong": 0.0,
    "incorrect": 0.0,
}


@dataclass(frozen=True)
class ParsedExample:
    """A graded example answer given in the notes: `Example answer (weak): "..."`."""

    text: str
    score: float


def example_score(grade: object) -> float | None:
    """The 0-100 score of a grade written in notes (strong/partial/weak or a number), or None."""
    if isinstance(grade, bool):
        return None
    if isinstance(grade, int | float):
        value = float(grade)
    else:
        text = str(grade).strip().lower()
        if text in EXAMPLE_GRADES:
            return EXAMPLE_GRADES[text]
        try:
            value = float(text.removesuffix("/100").removesuffix("%"))
        except ValueError:
            return None
    return value if 0 <= value <= 100 else None


@dataclass(frozen=True)
class ParsedQuestion:
    """One interviewer question with its reference answer and where it sits in the notes."""

    part_number: int
    part_title: str
    topic_number: int
    topic_title: str
    question: str
    answer: str
    line: int
    follow_up: bool = False
    alternatives: tuple[str, ...] = ()
    examples: tuple[ParsedExample, ...] = ()

    @property
    def content_hash(self) -> str:
        """A hash of everything that defines the question's content."""
        fields = [self.part_title, self.topic_title, self.question, self.answer]
        fields.append(str(self.follow_up))
        # Only when present, so notes without them keep the hash (and version) they had.
        if self.alternatives:
            fields += ["alternatives", *self.alternatives]
        if self.examples:
            fields += ["examples", *(f"{e.score:g}:{e.text}" for e in self.examples)]
        blob = "\x1f".join(fields)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ParsedNotes:
    """All questions of one notes file, in file order."""

    source: str
    format: str
    questions: list[ParsedQuestion]


# The longest question text a notes file may hold (the API's limit for a question too);
# answers are held to MAX_ANSWER_CHARS, the limit of a candidate's answer.
MAX_QUESTION_CHARS = 5_000
DEFAULT_MAX_ANSWER_CHARS = 20_000
# Questions one file may hold: far more than a day of notes, few enough that an import stays
# a matter of seconds (each question is a row with its key points and its first revision).
MAX_QUESTIONS_PER_FILE = 2_000


def check_sizes(notes: ParsedNotes, *, max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS) -> None:
    """NotesError for a file of too many questions, or naming the line of the first question
    or answer over its length limit.

    A reference answer is graded against like a candidate's answer, so it obeys the same limit;
    without one, a single huge answer would make every grading of its question slow.
    """
    if len(notes.questions) > MAX_QUESTIONS_PER_FILE:
        extra = notes.questions[MAX_QUESTIONS_PER_FILE]
        raise NotesError(
            notes.source,
            extra.line,
            f"the file holds {len(notes.questions):,} questions; at most "
            f"{MAX_QUESTIONS_PER_FILE:,} are imported from one file (split it into several)",
        )
    for parsed in notes.questions:
        if len(parsed.question) > MAX_QUESTION_CHARS:
            raise NotesError(
                notes.source,
                parsed.line,
                f"the question is {len(parsed.question):,} characters; the longest accepted "
                f"is {MAX_QUESTION_CHARS:,}",
            )
        answers = [("answer", parsed.answer)]
        answers += [("alternative answer", text) for text in parsed.alternatives]
        answers += [("example answer", example.text) for example in parsed.examples]
        for what, text in answers:
            if len(text) > max_answer_chars:
                raise NotesError(
                    notes.source,
                    parsed.line,
                    f"the {what} is {len(text):,} characters; the longest accepted is "
                    f"{max_answer_chars:,} (MAX_ANSWER_CHARS)",
                )


# Headings both notes formats use: "Part 2: Core ML" and "3. Bias-Variance" (a topic).
PART_HEADING = re.compile(r"^Part\s+(?P<number>\d+)\s*[:.\-–—]\s*(?P<title>.+)$", re.IGNORECASE)
TOPIC_HEADING = re.compile(r"^(?P<number>\d+)[.)]\s+(?P<title>\S.*)$")

_QUOTE_FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def question_key(text: str) -> str:
    """The identity of a question inside its file: its text, case, quotes and spaces folded."""
    folded = text.translate(_QUOTE_FOLD).casefold()
    return re.sub(r"\s+", " ", folded).strip()
