"""Parse a structured question bank: YAML or JSON, a list of {part, topic, question, answer}."""

from __future__ import annotations

import re
from typing import Any

import yaml

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


def parse_structured_notes(text: str, *, source: str, fmt: str) -> ParsedNotes:
    """Parse YAML/JSON items into questions; raise NotesError naming the file and line."""
    try:
        root = yaml.compose(text)  # JSON is read as YAML too: nodes keep their line numbers
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise NotesError(source, line, f"not valid {fmt.upper()}: {exc}") from None
    if root is None:
        raise NotesError(source, 1, "no questions found: the file is empty")
    if isinstance(root, yaml.MappingNode):
        root = _mapping_value(root, "questions")
        if root is None:
            raise NotesError(source, 1, "expected a list of questions or a 'questions:' list")
    if not isinstance(root, yaml.SequenceNode):
        raise NotesError(source, root.start_mark.line + 1, "expected a list of questions")
    parts: dict[str, int] = {}
    topics: dict[tuple[int, str], int] = {}
    questions: list[ParsedQuestion] = []
    for node in root.value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            raise NotesError(source, line, "each item must be a mapping with question and answer")
        item = _plain(yaml.safe_load(yaml.serialize(node)))
        for key in _REQUIRED:
            if not str(item.get(key) or "").strip():
                raise NotesError(source, line, f"item has no {key!r}")
        part_number, part_title = _numbered(item.get("part"), PART_HEADING, parts, "General")
        topic_key_space = {k[1]: v for k, v in topics.items() if k[0] == part_number}
        topic_number, topic_title = _numbered(
            item.get("topic"), TOPIC_HEADING, topic_key_space, "General"
        )
        topics[(part_number, topic_title)] = topic_number
        questions.append(
            ParsedQuestion(
                part_number=part_number,
                part_title=part_title,
                topic_number=topic_number,
                topic_title=topic_title,
                question=str(item["question"]).strip(),
                answer=str(item["answer"]).strip(),
                line=line,
                follow_up=bool(item.get("follow_up", False)),
                alternatives=_alternatives(item, source=source, line=line),
                examples=_examples(item, source=source, line=line),
            )
        )
    if not questions:
        raise NotesError(source, 1, "no questions found: the list is empty")
    return ParsedNotes(source=source, format=fmt, questions=questions)


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


def _mapping_value(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == key:
            return value_node
    return None


def _plain(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _numbered(
    value: object, pattern: re.Pattern[str], seen: dict[str, int], default: str
) -> tuple[int, str]:
    """(number, title) from 'Part 2: Title', '2. Title' or 'Title' (numbered by appearance)."""
    text = str(value).strip() if value not in (None, "") else default
    if match := pattern.match(text):
        number, title = int(match["number"]), match["title"].strip()
    else:
        title = text
        number = seen.get(title, max(seen.values(), default=0) + 1)
    seen[title] = number
    return number, title
