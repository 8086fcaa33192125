"""Colour themes: the choice persists, dark follows the system, the focus ring shows."""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app import PROJECT_ROOT

CSS = (PROJECT_ROOT / "static" / "app.css").read_text(encoding="utf-8")


def _block(selector: str) -> dict[str, str]:
    """The custom properties declared in the first rule whose selector is `selector`."""
    start = CSS.index(selector + " {")
    body = CSS[start : CSS.index("}", start)]
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", body))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


LIGHT = _block(":root")
DARK = _block(':root[data-theme="dark"]')
SYSTEM_DARK = _block(':root:not([data-theme="light"])')


def test_the_focus_ring_has_3_to_1_contrast_in_both_themes() -> None:
    for palette in (LIGHT, DARK):
        for background in ("--bg", "--surface", "--surface-alt"):
            ratio = contrast(palette["--focus"], palette[background])
            assert ratio >= 3, f"--focus on {background}: {ratio:.2f}:1"


def test_the_dark_theme_is_the_same_whether_picked_or_from_the_system() -> None:
    assert DARK == SYSTEM_DARK
    # Every colour of the light theme has a dark value: nothing stays light in the dark.
    assert set(LIGHT) - set(DARK) <= {"--radius"}


def test_no_colour_is_written_outside_the_theme_variables() -> None:
    rules = re.sub(r"(?s):root[^{]*\{.*?\}", "", CSS)
    assert re.findall(r"#[0-9a-fA-F]{3,6}\b", rules) == []


def _html(client: TestClient, url: str = "/") -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def test_the_picked_theme_is_remembered_and_rendered_by_the_server(client: TestClient) -> None:
    assert _html(client).html.get("data-theme") is None  # follows the system

    response = client.post(
        "/theme", data={"theme": "dark", "back": "/material"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/material"
    assert _html(client, "/material").html["data-theme"] == "dark"
    assert _html(client, "/history").html["data-theme"] == "dark"

    client.post("/theme", data={"theme": "light", "back": "/"})
    assert _html(client).html["data-theme"] == "light"

    client.post("/theme", data={"theme": "system", "back": "/"})
    assert _html(client).html.get("data-theme") is None


def test_the_theme_form_works_without_javascript_and_goes_back(client: TestClient) -> None:
    page = _html(client, "/history")
    form = page.select_one("form.theme-toggle")
    assert form is not None
    back = form.select_one("input[name=back]")
    assert back is not None and back["value"] == "/history"
    values = {button["value"] for button in form.select("button[name=theme]")}
    assert values == {"light", "dark"}


def test_the_theme_form_never_redirects_off_the_site(client: TestClient) -> None:
    for back in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            "/theme", data={"theme": "dark", "back": back}, follow_redirects=False
        )
        assert response.headers["location"] == "/", back


def test_htmx_does_not_settle_style_attributes(client: TestClient) -> None:
    meta = _html(client).select_one('meta[name="htmx-config"]')
    assert meta is not None
    config = json.loads(str(meta["content"]))
    assert "style" not in config["attributesToSettle"]
