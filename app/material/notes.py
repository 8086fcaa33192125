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

    @property
    def content_hash(self) -> str:
        """A hash of everything that defines the question's content."""
        blob = "\x1f".join(
            [self.part_title, self.topic_title, self.question, self.answer, str(self.follow_up)]
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ParsedNotes:
    """All questions of one notes file, in file order."""

    source: str
    format: str
    questions: list[ParsedQuestion]


_QUOTE_FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def question_key(text: str) -> str:
    """The identity of a question inside its file: its text, case, quotes and spaces folded."""
    folded = text.translate(_QUOTE_FOLD).casefold()
    return re.sub(r"\s+", " ", folded).strip()
