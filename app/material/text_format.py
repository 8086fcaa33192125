"""Parse notes written as plain text or Markdown: parts, topics, Interviewer / Your Answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.grading.text import split_glued_headings
from app.material.notes import (
    EXAMPLE_GRADES,
    PART_HEADING,
    TOPIC_HEADING,
    NotesError,
    ParsedExample,
    ParsedNotes,
    ParsedQuestion,
    example_score,
)

_QUESTION = re.compile(
    r"^Interviewer\s*(?:\((?P<note>[^)]*)\))?\s*:\s*(?P<text>.*)$", re.IGNORECASE
)
_ANSWER = re.compile(r"^(?:Your\s+)?Answer\s*:\s*(?P<text>.*)$", re.IGNORECASE)
# "Your Answer (alternative): ..." — another answer the notes accept.
_ALTERNATIVE = re.compile(
    r"^(?:Your\s+)?Answer\s*\(\s*(?:alternative|alt\.?|also)\s*\)\s*:\s*(?P<text>.*)$",
    re.IGNORECASE,
)
# "Example answer (weak): ..." — a graded example: strong / partial / weak, or a 0-100 score.
_EXAMPLE = re.compile(
    r"^Example\s+answer\s*\(\s*(?P<grade>[^)]*?)\s*\)\s*:\s*(?P<text>.*)$", re.IGNORECASE
)
# Markdown decoration around the same grammar: headings, bold/italic labels, quote markers.
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(?P<label>[^*_]+?:)\1\s*")
_MD_EMPHASIS_LABEL_COLON_OUT = re.compile(r"^(\*\*|__|\*|_)(?P<label>[^*_]+?)\1\s*:\s*")
_BOILERPLATE = re.compile(
    r"^(comments?|post a comment|no comments?:?.*|share|labels?:.*|newer post|older post|home"
    r"|subscribe to:.*|popular posts from this blog|\d+ comments?:?|email this|blogthis!"
    r"|share to (twitter|facebook|pinterest))$",
    re.IGNORECASE,
)
# Five times the default MAX_ANSWER_CHARS: no line of real notes comes near it.
MAX_LINE_CHARS = 100_000
_BROKEN_SENTENCE = re.compile(r"(?<=[a-z,])\n(?=[a-z_])")
_OPEN_QUOTES = '"“'
_CLOSE_QUOTES = '"”'


def parse_text_notes(text: str, *, source: str, markdown: bool = False) -> ParsedNotes:
    """Parse plain-text (or Markdown) notes into questions; raise NotesError on a bad file."""
    raw_lines = text.splitlines()
    for number, line in enumerate(raw_lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            # Refused before any pattern runs over it: one regular expression over a 2 MB line
            # holds the interpreter for long enough to stall every other request.
            raise NotesError(
                source,
                number,
                f"the line is {len(line):,} characters; notes lines are at most "
                f"{MAX_LINE_CHARS:,} (an answer may take several lines)",
            )
    lines = [_normalise(line, markdown=markdown) for line in raw_lines]
    end = _content_end(lines)
    builder = _Builder(
        source=source, has_parts=any(PART_HEADING.match(line) for line in lines[:end])
    )
    following = _next_content(lines)
    for index in range(end):
        line = lines[index]
        number = index + 1
        if part := PART_HEADING.match(line):
            builder.start_part(int(part["number"]), part["title"].strip(), number)
        elif (question := _QUESTION.match(line)) and builder.in_part:
            note = (question["note"] or "").lower()
            builder.start_question(question["text"], number, follow_up="follow" in note)
        elif (answer := _ANSWER.match(line)) and builder.in_part:
            builder.start_answer(answer["text"], number)
        elif (alternative := _ALTERNATIVE.match(line)) and builder.in_part:
            builder.start_extra(alternative["text"], number, score=None)
        elif (example := _EXAMPLE.match(line)) and builder.in_part:
            score = example_score(example["grade"])
            if score is None:
                grades = ", ".join(EXAMPLE_GRADES)
                raise NotesError(
                    source,
                    number,
                    f"example answer grade {example['grade']!r} is not one of {grades} "
                    "or a score 0-100",
                )
            builder.start_extra(example["text"], number, score=score)
        elif (
            (topic := TOPIC_HEADING.match(line))
            and builder.in_part
            and _is_question_at(lines, following[index])
        ):
            builder.start_topic(int(topic["number"]), topic["title"].strip(), number)
        else:
            builder.add_line(line, number)
    builder.finish(end)
    if not builder.questions:
        raise NotesError(
            source,
            1,
            "no questions found: expected 'Interviewer: ...' lines each followed by "
            "'Your Answer: ...'",
        )
    return ParsedNotes(
        source=source, format="markdown" if markdown else "text", questions=builder.questions
    )


def strip_surrounding_quotes(text: str) -> str:
    """Remove the quotes around a whole question or answer, keeping inner ones."""
    text = text.strip()
    opens = bool(text) and text[0] in _OPEN_QUOTES
    closes = len(text) > 1 and text[-1] in _CLOSE_QUOTES
    if opens and closes and _balanced(text[1:-1]):
        return text[1:-1].strip()
    # One unpaired quote at an edge: its partner was lost in scraping. An even count means
    # the edge quote pairs with an inner one ('"Bagging" and "boosting" differ'): keep it.
    if _count_quotes(text) % 2 == 1:
        if opens:
            return text[1:].strip()
        if closes:
            return text[:-1].strip()
    return text


def _count_quotes(text: str) -> int:
    return sum(text.count(q) for q in set(_OPEN_QUOTES + _CLOSE_QUOTES))


def _balanced(text: str) -> bool:
    """True when the double quotes in `text` open before they close, in pairs."""
    depth = 0
    for index, char in enumerate(text):
        if char == "“":
            depth += 1
        elif char == "”":
            depth -= 1
        elif char == '"':
            # A straight quote after a space (or at the start) opens; after a word it closes.
            before = text[index - 1] if index else " "
            depth += 1 if before.isspace() or before in "([{" else -1
        if depth < 0:
            return False
    return depth == 0


def _normalise(line: str, *, markdown: bool) -> str:
    line = line.strip().replace("\u00a0", " ")
    if markdown:
        line = _MD_HEADING.sub("", line)
        line = line.removeprefix("> ").strip()
        line = _MD_EMPHASIS.sub(lambda m: m["label"] + " ", line)
        line = _MD_EMPHASIS_LABEL_COLON_OUT.sub(lambda m: m["label"] + ": ", line)
    return line


def _content_end(lines: list[str]) -> int:
    """Index after the last content line: trailing blog boilerplate and blanks are cut."""
    end = len(lines)
    while end > 0 and (not lines[end - 1] or _BOILERPLATE.match(lines[end - 1])):
        end -= 1
    return end


def _is_question_at(lines: list[str], index: int | None) -> bool:
    return index is not None and bool(_QUESTION.match(lines[index]))


def _next_content(lines: list[str]) -> list[int | None]:
    """For each line, the index of the next non-blank line after it (None at the end).

    One pass from the end: looking ahead from every topic-like line instead made a file of
    many "1. a" lines quadratic.
    """
    following: list[int | None] = [None] * len(lines)
    after: int | None = None
    for index in range(len(lines) - 1, -1, -1):
        following[index] = after
        if lines[index]:
            after = index
    return following


@dataclass
class _Pending:
    question: str
    line: int
    follow_up: bool
    # Lines between the question and its answer, which continue the question.
    question_more: list[str] = field(default_factory=list)
    answer_lines: list[str] = field(default_factory=list)
    answer_line: int | None = None
    # Alternatives (score None) and graded examples after the answer, each with its lines.
    extras: list[tuple[float | None, int, list[str]]] = field(default_factory=list)


@dataclass
class _Builder:
    source: str
    has_parts: bool
    questions: list[ParsedQuestion] = field(default_factory=list)
    part: tuple[int, str] | None = None
    topic: tuple[int, str] = (0, "General")
    pending: _Pending | None = None

    def __post_init__(self) -> None:
        if not self.has_parts:
            # Notes without any "Part N:" line: everything belongs to one part named after the file.
            self.part = (1, self.source.rsplit("/", 1)[-1].rsplit(".", 1)[0])

    @property
    def in_part(self) -> bool:
        return self.part is not None

    def start_part(self, number: int, title: str, line: int) -> None:
        self._close(line)
        self.part = (number, title)
        self.topic = (0, "General")

    def start_topic(self, number: int, title: str, line: int) -> None:
        self._close(line)
        self.topic = (number, title)

    def start_question(self, text: str, line: int, *, follow_up: bool) -> None:
        self._close(line)
        question = strip_surrounding_quotes(text)
        if not question:
            raise NotesError(self.source, line, "'Interviewer:' line has no question text")
        self.pending = _Pending(question=question, line=line, follow_up=follow_up)

    def start_answer(self, text: str, line: int) -> None:
        if self.pending is not None and self.pending.question_more:
            self.pending.question = " ".join([self.pending.question, *self.pending.question_more])
            self.pending.question_more.clear()
        if self.pending is None:
            raise NotesError(self.source, line, "'Your Answer:' without an 'Interviewer:' question")
        if self.pending.answer_line is not None:
            raise NotesError(self.source, line, "second 'Your Answer:' for the same question")
        self.pending.answer_line = line
        self.pending.answer_lines.append(text)

    def start_extra(self, text: str, line: int, *, score: float | None) -> None:
        what = "'Your Answer (alternative):'" if score is None else "'Example answer (...):'"
        if self.pending is None or self.pending.answer_line is None:
            raise NotesError(self.source, line, f"{what} before the question's 'Your Answer:'")
        self.pending.extras.append((score, line, [text]))

    def add_line(self, text: str, line: int) -> None:
        if self.pending is not None and self.pending.extras:
            self.pending.extras[-1][2].append(text)
        elif self.pending is not None and self.pending.answer_line is not None:
            self.pending.answer_lines.append(text)
        elif self.pending is not None and text:
            # Text between the question and its answer continues the question (joined once,
            # when the question closes: joining line by line was quadratic).
            self.pending.question_more.append(text)

    def finish(self, end: int) -> None:
        self._close(end + 1)

    def _close(self, line: int) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        if pending.question_more:
            pending.question = " ".join([pending.question, *pending.question_more])
        if pending.answer_line is None:
            raise NotesError(
                self.source, pending.line, f"question has no 'Your Answer:': {pending.question!r}"
            )
        answer = _join_answer(pending.answer_lines)
        if not answer:
            raise NotesError(self.source, pending.answer_line, "'Your Answer:' has no text")
        assert self.part is not None
        alternatives: list[str] = []
        examples: list[ParsedExample] = []
        for score, extra_line, extra_lines in pending.extras:
            extra = _join_answer(extra_lines)
            if not extra:
                raise NotesError(self.source, extra_line, "the line has no answer text")
            if score is None:
                alternatives.append(extra)
            else:
                examples.append(ParsedExample(text=extra, score=score))
        self.questions.append(
            ParsedQuestion(
                part_number=self.part[0],
                part_title=self.part[1],
                topic_number=self.topic[0],
                topic_title=self.topic[1],
                question=strip_surrounding_quotes(pending.question),
                answer=answer,
                line=pending.line,
                follow_up=pending.follow_up,
                alternatives=tuple(alternatives),
                examples=tuple(examples),
            )
        )


def _join_answer(lines: list[str]) -> str:
    # Keep paragraphs: single blank lines survive, runs of blanks collapse, edges are trimmed.
    text = "\n".join(split_glued_headings(line) for line in lines)
    # A sentence broken mid-way ("hyperparameters like\nmax_depth.") is joined back.
    text = _BROKEN_SENTENCE.sub(" ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return strip_surrounding_quotes(text)
