"""Reading pages in tests: parse the HTML, pick elements by CSS selector (as datasette does)."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag


def page_of(html: str) -> BeautifulSoup:
    """Parsed HTML."""
    return BeautifulSoup(html, "html.parser")


def one(page: BeautifulSoup | Tag, selector: str) -> Tag:
    """The single element a selector names; fails loudly when it is missing."""
    found = page.select_one(selector)
    assert found is not None, f"no {selector!r} in the page"
    return found
