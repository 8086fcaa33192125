"""Read a notes file in any accepted format into ParsedNotes."""

from __future__ import annotations

from pathlib import Path

from app.material.notes import NotesError, ParsedNotes
from app.material.structured_format import parse_structured_notes
from app.material.text_format import parse_text_notes

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".yaml", ".yml", ".json")


def parse_notes(text: str, *, source: str) -> ParsedNotes:
    """Parse notes text; the format comes from the source's file extension (default: text)."""
    suffix = Path(source).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return parse_structured_notes(text, source=source, fmt="yaml")
    if suffix == ".json":
        return parse_structured_notes(text, source=source, fmt="json")
    return parse_text_notes(text, source=source, markdown=suffix in (".md", ".markdown"))


def read_notes_file(path: Path) -> ParsedNotes:
    """Read and parse one notes file; an unreadable file is a NotesError too."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotesError(path.name, 0, f"cannot read file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NotesError(path.name, line, "not UTF-8 text") from None
    return parse_notes(text, source=path.name)
