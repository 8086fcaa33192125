"""The account's API keys page: a key is made (shown once) and revoked from the browser, with
the CSRF token like every form, and each user sees and revokes only their own."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.accounts_support import add_user, password_settings, sign_in
from tests.fakes import FAKE_GRADERS
from tests.html import one, page_of
from tests.web_client import PageClient, page_token


def _keys(page: BeautifulSoup) -> dict[str, bool]:
    """The listed keys by name: True when revoked."""
    return {
        str(row["data-name"]): row["data-revoked"] == "true"
        for row in page.select("[data-testid=api-key]")
    }


def _questions(client: PageClient, key: str) -> int:
    return client.get("/api/v1/questions", headers={"Authorization": f"Bearer {key}"}).status_code


def test_a_key_is_made_shown_once_used_and_revoked(settings: Settings) -> None:
    app: FastAPI = create_app(password_settings(settings), graders=FAKE_GRADERS)
    with PageClient(app) as alice, PageClient(app) as bob:
        add_user(app.state.database, "alice")
        add_user(app.state.database, "bob")
        sign_in(alice, "alice")
        sign_in(bob, "bob")
        empty = page_of(alice.get("/account/api-keys").text)
        assert empty.select_one("[data-testid=no-keys]") is not None

        made = alice.post("/account/api-keys", data={"name": "laptop"})
        assert made.status_code == 200
        page = page_of(made.text)
        key = one(page, "[data-testid=new-key]").get_text(strip=True)
        assert _keys(page) == {"laptop": False}
        assert _questions(alice, key) == 200
        # Shown once: the list afterwards has the key's name, never the key itself.
        again = alice.get("/account/api-keys").text
        assert key not in again and _keys(page_of(again)) == {"laptop": False}
        duplicate = alice.post("/account/api-keys", data={"name": "laptop"})
        assert duplicate.status_code == 422
        error = one(page_of(duplicate.text), "[data-testid=api-key-error]").get_text()
        assert "already a key called 'laptop'" in error

        # Bob sees none of Alice's keys and cannot revoke hers by naming it.
        assert _keys(page_of(bob.get("/account/api-keys").text)) == {}
        assert bob.post("/account/api-keys/revoke", data={"name": "laptop"}).status_code == 422
        assert _questions(alice, key) == 200

        revoked = alice.post("/account/api-keys/revoke", data={"name": "laptop"})
        assert revoked.status_code == 200  # after the redirect back to the list
        assert _keys(page_of(revoked.text)) == {"laptop": True}
        assert _questions(alice, key) == 401


def test_the_forms_need_the_csrf_token_and_work_without_javascript(settings: Settings) -> None:
    app: FastAPI = create_app(password_settings(settings), graders=FAKE_GRADERS)
    with PageClient(app) as alice:
        add_user(app.state.database, "alice")
        sign_in(alice, "alice")
        del alice.headers["X-CSRF-Token"]
        refused = alice.post("/account/api-keys", data={"name": "forged"})
        assert refused.status_code == 403
        # The page's own form, as a browser without JavaScript sends it: the hidden field.
        page = alice.get("/account/api-keys")
        form = one(page_of(page.text), "form[data-testid=create-key-form]")
        token = str(one(form, "input[name=csrf_token]")["value"])
        assert token == page_token(page.text)
        made = alice.post(str(form["action"]), data={"csrf_token": token, "name": "script"})
        assert made.status_code == 200
        assert _keys(page_of(made.text)) == {"script": False}
        assert _keys(page_of(alice.get("/account/api-keys").text)) == {"script": False}
