"""A TestClient that behaves like the app's own pages in a browser: CSRF cookie and token."""

from __future__ import annotations

import json
from typing import Self

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

# The name TestClient sends in Host; tests add it to TRUSTED_HOSTS.
TEST_HOST = "testserver"
# The header htmx sends: the app answers such a request with a fragment, not the whole page.
HTMX = {"HX-Request": "true"}


def page_token(html: str) -> str:
    """The CSRF token a page gives htmx (hx-headers on <body>)."""
    body = BeautifulSoup(html, "html.parser").body
    assert body is not None
    return str(json.loads(str(body["hx-headers"]))["X-CSRF-Token"])


class PageClient(TestClient):
    """Sends the CSRF token header on every request, as htmx does from the app's pages."""

    def __enter__(self) -> Self:
        super().__enter__()
        self.use_page_token()
        return self

    def use_page_token(self) -> None:
        """Load a page (which sets the CSRF cookie) and send its token from now on."""
        self.headers["X-CSRF-Token"] = page_token(self.get("/material").text)
