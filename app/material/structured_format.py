"""Parse a structured question bank: YAML or JSON, a list of {part, topic, question, answer}."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

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

_REQUIRED = ("question", "answer")
# Deeper than any question bank needs (an item, its examples, an example's fields).
MAX_DEPTH = 20
_STR_TAG = "tag:yaml.org,2002:str"


class _Refused(Exception):
    """YAML that is valid but not accepted in notes; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _read_yaml(text: str) -> tuple[Any, dict[int, list[int]]]:
    """The document as plain Python values, and the line of each item of each list (by id).

    Built straight from the parser's events, without PyYAML's node graph: that is several times
    faster on a 2 MB bank, and it lets the reader refuse what notes never need before it can
    cost anything. An alias (`*name`) repeats a node wherever it is used, so nine aliases of
    nine aliases make a 390-byte file expand into millions of characters ("billion laughs"):
    anchors and aliases are refused, and so is nesting deeper than MAX_DEPTH.
    """
    resolver = Resolver()
    constructor = SafeConstructor()
    # Open collections, innermost last: [list or dict, the mapping's pending key, start line].
    stack: list[list[Any]] = []
    documents: list[Any] = []
    lines_of: dict[int, list[int]] = {}

    def add(value: Any, line: int) -> None:
        if not stack:
            documents.append(value)
            return
        frame = stack[-1]
        container = frame[0]
        if isinstance(container, list):
            container.append(value)
            lines_of[id(container)].append(line)
        elif frame[1] is _NO_KEY:
            frame[1] = value if isinstance(value, _KEY_TYPES) else repr(value)
        else:
            container[frame[1]] = value
            frame[1] = _NO_KEY

    loader = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader(text)
    try:
        while (event := loader.get_event()) is not None:
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.AliasEvent):
                raise _Refused(line, "aliases (*name) are not accepted in notes: write it out")
            if getattr(event, "anchor", None):
                raise _Refused(line, "anchors (&name) are not accepted in notes: write it out")
            if isinstance(event, yaml.ScalarEvent):
                add(_scalar(event, resolver, constructor), line)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep")
                container: list[Any] | dict[Any, Any] = (
                    [] if isinstance(event, yaml.SequenceStartEvent) else {}
                )
                if isinstance(container, list):
                    lines_of[id(container)] = []
                stack.append([container, _NO_KEY, line])
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                done, _key, start = stack.pop()
                add(done, start)
    finally:
        loader.dispose()
    if len(documents) > 1:
        raise _Refused(1, "more than one YAML document in the file")
    return (documents[0] if documents else None), lines_of


_NO_KEY = object()
_KEY_TYPES = (str, int, float, bool, type(None))


def _scalar(event: yaml.ScalarEvent, resolver: Resolver, constructor: SafeConstructor) -> Any:
    """A scalar's value: text stays text; true, 12, 0.5 and null become what YAML says."""
    tag = event.tag
    if tag is None or tag == "!":
        tag = resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _STR_TAG:
        return event.value
    node = yaml.ScalarNode(tag, event.value, style=event.style)
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError:
        return event.value  # a tag the safe constructor does not know: keep the text


def parse_structured_notes(text: str, *, source: str, fmt: str) -> ParsedNotes:
    """Parse YAML/JSON items into questions; raise NotesError naming the file and line."""
    try:
        root, lines_of = _read_yaml(text)  # JSON is read as YAML too: it keeps its lines
    except _Refused as exc:
        raise NotesError(source, exc.line, str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise NotesError(source, line, f"not valid {fmt.upper()}: {exc}") from None
    if root is None:
        raise NotesError(source, 1, "no questions found: the file is empty")
    if isinstance(root, dict):
        root = root.get("questions")
        if root is None:
            raise NotesError(source, 1, "expected a list of questions or a 'questions:' list")
    if not isinstance(root, list):
        raise NotesError(source, 1, "expected a list of questions")
    parts = _Numbering()
    topics: dict[int, _Numbering] = {}
    questions: list[ParsedQuestion] = []
    for item, line in zip(root, lines_of[id(root)], strict=True):
        if not isinstance(item, dict):
            raise NotesError(source, line, "each item must be a mapping with question and answer")
        for key in _REQUIRED:
            if not _text(item.get(key)).strip():
                raise NotesError(source, line, f"item has no {key!r}")
            if not isinstance(item[key], str | int | float):
                raise NotesError(source, line, f"{key!r} must be text")
        part_number, part_title = parts.number(item.get("part"), PART_HEADING)
        topic_number, topic_title = topics.setdefault(part_number, _Numbering()).number(
            item.get("topic"), TOPIC_HEADING
        )
        questions.append(
            ParsedQuestion(
                part_number=part_number,
                part_title=part_title,
                topic_number=topic_number,
                topic_title=topic_title,
                question=_text(item["question"]).strip(),
                answer=_text(item["answer"]).strip(),
                line=line,
                follow_up=bool(item.get("follow_up", False)),
                alternatives=_alternatives(item, source=source, line=line),
                examples=_examples(item, source=source, line=line),
            )
        )
    if not questions:
        raise NotesError(source, 1, "no questions found: the list is empty")
    return ParsedNotes(source=source, format=fmt, questions=questions)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _alternatives(item: dict[str, Any], *, source: str, line: int) -> tuple[str, ...]:
    """Other accepted answers: `alternatives:` (or `alternative_answers:`), a list of strings."""
    value = item.get("alternatives", item.get("alternative_answers"))
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NotesError(source, line, "'alternatives' must be a list of answers (strings)")
    return tuple(v.strip() for v in value if v.strip())


def _examples(item: dict[str, Any], *, source: str, line: int) -> tuple[ParsedExample, ...]:
    """Graded examples: `examples:`, a list of {answer: ..., grade: strong/partial/weak/0-100}."""
    value = item.get("examples")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise NotesError(source, line, "'examples' must be a list of {answer, grade}")
    examples = []
    for entry in value:
        text = entry.get("answer") if isinstance(entry, dict) else None
        score = example_score(entry.get("grade")) if isinstance(entry, dict) else None
        if not isinstance(text, str) or not text.strip() or score is None:
            grades = ", ".join(EXAMPLE_GRADES)
            raise NotesError(
                source,
                line,
                f"each example needs an 'answer' and a 'grade' ({grades} or a score 0-100)",
            )
        examples.append(ParsedExample(text=text.strip(), score=score))
    return tuple(examples)


class _Numbering:
    """Numbers of parts (or of one part's topics) by title, in order of appearance."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.highest = 0

    def number(self, value: object, pattern: re.Pattern[str]) -> tuple[int, str]:
        """(number, title) from 'Part 2: Title', '2. Title' or 'Title' (numbered by appearance)."""
        text = str(value).strip() if value not in (None, "") else "General"
        if match := pattern.match(text):
            number, title = int(match["number"]), match["title"].strip()
        else:
            title = text
            number = self.seen.get(title, self.highest + 1)
        self.seen[title] = number
        self.highest = max(self.highest, number)
        return number, title
