"""Templates build every URL from a route's name, so a route can move without broken links."""

from __future__ import annotations

import re

from app import PROJECT_ROOT

URL_ATTRIBUTE = re.compile(r"""\b(?:href|action|hx-get|hx-post|src)="(/[^"]*)\"""")


def test_no_template_spells_a_url_by_hand() -> None:
    hand_written = []
    for template in sorted((PROJECT_ROOT / "templates").glob("*.html")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            found = URL_ATTRIBUTE.findall(line)
            hand_written += [f"{template.name}:{number}: {url}" for url in found]
    assert hand_written == []


def test_the_check_finds_a_hand_written_url() -> None:
    assert URL_ATTRIBUTE.findall('<a class="x" href="/history">') == ["/history"]
    assert URL_ATTRIBUTE.findall("<a href=\"{{ path_for('home') }}\">") == []
