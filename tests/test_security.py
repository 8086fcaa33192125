"""CSRF, cross-site refusals, trusted hosts, security headers on every response, /docs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from app.config import Settings
from app.main import create_app
from app.models import Question, QuestionRevision
from tests.fakes import FAKE_GRADERS
from tests.web_client import TEST_HOST, page_token

DAY1 = Path(__file__).resolve().parents[1] / "app" / "material" / "default" / "day1.txt"
# A "day1.txt" of one question: imported, it would retire the other questions of day 1.
HOSTILE_DAY1 = b"Part 1: Owned\n\n1. Owned\n\nQ: Who owns this bank?\nA: Someone else.\n"
SAME_ORIGIN = {"Origin": f"http://{TEST_HOST}", "Sec-Fetch-Site": "same-origin"}
HTMX = {"HX-Request": "true"}


def page_of(html: str) -> BeautifulSoup:
    """Parsed HTML."""
    return BeautifulSoup(html, "html.parser")


def error_of(html: str) -> Tag:
    """The error notice of an error page."""
    notice = page_of(html).select_one("[data-testid=error]")
    assert notice is not None, html
    return notice


def bank_state(app: FastAPI) -> tuple[int, int, int]:
    """Questions, active questions and question versions in the bank."""
    with app.state.database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Question)) or 0,
            session.scalar(select(func.count()).where(Question.retired.is_(False))) or 0,
            session.scalar(select(func.count()).select_from(QuestionRevision)) or 0,
        )


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A browser without JavaScript: keeps cookies, sends only what forms contain."""
    with TestClient(app) as client:
        yield client


def form_data(form: Tag) -> dict[str, str]:
    """What a browser submits for a form's hidden inputs."""
    return {
        str(field["name"]): str(field.get("value", ""))
        for field in form.select("input[type=hidden]")
    }


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_cross_site_upload_is_refused_and_changes_nothing(
    app: FastAPI, client: TestClient, origin: str
) -> None:
    before = bank_state(app)
    # The client carries a valid cookie and token: the origin alone decides.
    response = client.post(
        "/material",
        files={"notes": ("day1.txt", HOSTILE_DAY1, "text/plain")},
        headers={"Origin": origin},
    )
    assert response.status_code == 403
    assert error_of(response.text)["data-status"] == "403"
    assert "another site" in response.text or "Origin: null" in response.text
    assert bank_state(app) == before
    assert "Owned" not in client.get("/").text


def test_sec_fetch_site_cross_site_is_refused_even_with_a_token(
    app: FastAPI, client: TestClient
) -> None:
    before = bank_state(app)
    for site in ("cross-site", "same-site"):
        response = client.post("/interviews", data={"count": "1"}, headers={"Sec-Fetch-Site": site})
        assert response.status_code == 403, site
    assert bank_state(app) == before


def test_a_form_works_without_javascript_through_its_hidden_field(browser: TestClient) -> None:
    home = page_of(browser.get("/").text)
    form = home.select_one("form.start-form")
    assert form is not None
    data = form_data(form) | {"count": "1"}
    assert data["csrf_token"]
    started = browser.post("/interviews", data=data, headers=SAME_ORIGIN, follow_redirects=False)
    assert started.status_code == 303
    turn = page_of(browser.get(started.headers["location"]).text)
    answer_form = turn.select_one("form[data-testid=answer-form]")
    assert answer_form is not None
    answer = form_data(answer_form) | {"answer": "attention weighs tokens"}
    answered = browser.post(str(answer_form["action"]), data=answer, follow_redirects=False)
    assert answered.status_code == 303


def test_htmx_sends_the_token_as_a_header(browser: TestClient) -> None:
    token = page_token(browser.get("/").text)
    started = browser.post(
        "/interviews",
        data={"count": "1"},
        headers={"X-CSRF-Token": token, **HTMX, **SAME_ORIGIN},
        follow_redirects=False,
    )
    assert started.status_code == 303


def test_missing_or_wrong_token_is_403_with_a_message(app: FastAPI, browser: TestClient) -> None:
    before = bank_state(app)
    token = page_token(browser.get("/").text)
    other = TestClient(app)
    other_token = page_token(other.get("/").text)  # valid, but for another browser's cookie
    for data, headers in (
        ({"count": "1"}, {}),
        ({"count": "1", "csrf_token": "x" * 43}, {}),
        ({"count": "1", "csrf_token": other_token}, {}),
        ({"count": "1"}, {"X-CSRF-Token": token[:-1] + ("A" if token[-1] != "A" else "B")}),
    ):
        response = browser.post("/interviews", data=data, headers=headers)
        assert response.status_code == 403
        notice = error_of(response.text)
        assert "security token" in notice.get_text()
    upload = browser.post("/material", files={"notes": ("day1.txt", HOSTILE_DAY1, "text/plain")})
    assert upload.status_code == 403
    assert bank_state(app) == before


def test_a_browser_without_the_cookie_gets_403(app: FastAPI, browser: TestClient) -> None:
    token = page_token(browser.get("/").text)
    browser.cookies.clear()
    response = browser.post("/interviews", data={"count": "1", "csrf_token": token})
    assert response.status_code == 403


def test_the_cookie_is_http_only_and_same_site_lax(app: FastAPI) -> None:
    with TestClient(app) as fresh:
        cookie = fresh.get("/").headers["set-cookie"]
    assert "mi_csrf=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http; over https it is Secure
    with TestClient(app, base_url=f"https://{TEST_HOST}") as secure:
        assert "Secure" in secure.get("/").headers["set-cookie"]


def _every_post_form(client: TestClient) -> list[tuple[BeautifulSoup, Tag]]:
    """The state-changing forms of the pages a user goes through, with the page they are on."""
    pages = [page_of(client.get("/").text), page_of(client.get("/material").text)]
    started = client.post("/interviews", data={"count": "2"}, follow_redirects=False)
    turn = started.headers["location"]
    pages.append(page_of(client.get(turn).text))
    form = pages[-1].select_one("form[data-testid=answer-form]")
    assert form is not None
    now = str(int(time.time() * 1000))
    graded = client.post(str(form["action"]), data={"answer": "softmax", "shown_at": now})
    pages.append(page_of(graded.text))
    session_id = turn.split("/")[2]
    pages.append(page_of(client.get(f"/interviews/{session_id}/summary").text))
    question = pages[0].select_one("[data-testid=question]")
    assert question is not None
    history = f"/questions/{question['data-question-id']}/history"
    pages.append(page_of(client.get(history).text))
    return [
        (page, form)
        for page in pages
        for form in page.select("form")
        if str(form.get("method", "get")).lower() == "post"
    ]


def test_every_state_changing_form_carries_the_token(client: TestClient) -> None:
    forms = _every_post_form(client)
    actions = {str(form["action"]).split("/")[-1] for _, form in forms}
    assert {"interviews", "material", "answers", "follow-ups"} <= actions
    for page, form in forms:
        fields = form.select("input[name=csrf_token]")
        assert len(fields) == 1, form.get("action")
        assert fields[0]["value"] == page_token(str(page))


def test_api_clients_without_cookies_keep_working_but_cross_site_browsers_do_not(
    client: TestClient, app: FastAPI
) -> None:
    body = {
        "question": "What is dropout?",
        "reference_answer": "Dropout zeroes units.",
        "answer": "x y",
    }
    with TestClient(app) as curl:  # no cookie, no Origin, no token
        assert curl.post("/api/v1/score", json=body).status_code == 200
        keyed = curl.post(
            "/api/v1/score", json=body, headers={"Authorization": "Bearer not-needed"}
        )
        assert keyed.status_code == 200
        assert curl.post("/api/v1/score", json=body, headers=SAME_ORIGIN).status_code == 200
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
        ):
            refused = curl.post("/api/v1/score", json=body, headers=headers)
            assert refused.status_code == 403
            assert refused.json()["error"]["code"] == "cross_site_request"


@pytest.mark.parametrize("path", ["/", "/material", "/api/v1/answers/1", "/healthz"])
def test_a_foreign_host_is_400(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Host": "rebind.evil.example"})
    assert response.status_code == 400
    assert "TRUSTED_HOSTS" in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_default_trusted_hosts_are_loopback_and_the_address_served_on(
    settings: Settings,
) -> None:
    default = settings.model_copy(update={"trusted_hosts": None})
    assert default.allowed_hosts == ["localhost", "127.0.0.1", "::1"]
    lan = default.model_copy(update={"host": "192.168.1.20"})
    assert lan.allowed_hosts == ["localhost", "127.0.0.1", "::1", "192.168.1.20"]
    everywhere = default.model_copy(update={"host": "0.0.0.0"})
    assert everywhere.allowed_hosts == ["localhost", "127.0.0.1", "::1"]
    with TestClient(create_app(default, graders=FAKE_GRADERS)) as local:
        for host in ("127.0.0.1:8000", "localhost", "[::1]:8000", "LOCALHOST:1"):
            assert local.get("/healthz", headers={"Host": host}).status_code == 200, host
        for host in ("testserver", "127.0.0.1.evil.example", "evil.localhost", ""):
            assert local.get("/healthz", headers={"Host": host}).status_code == 400, host


def test_trusted_hosts_setting_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_HOSTS", "interview.example.com, *.corp.example,10.0.0.5")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.allowed_hosts == ["interview.example.com", "*.corp.example", "10.0.0.5"]
    for wrong in ("https://interview.example.com", "example.com:443", "a*.example.com"):
        monkeypatch.setenv("TRUSTED_HOSTS", wrong)
        with pytest.raises(ValidationError, match="trusted_hosts"):
            Settings(_env_file=None)  # type: ignore[call-arg]


def test_wildcard_trusted_hosts(settings: Settings) -> None:
    wild = settings.model_copy(update={"trusted_hosts": ["*.example.com"]})
    with TestClient(create_app(wild, graders=FAKE_GRADERS)) as client:
        assert client.get("/healthz", headers={"Host": "a.example.com"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "example.com.evil"}).status_code == 400


def test_security_headers_on_unhandled_500s(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("app.web.pages.bank_outline", broken)
    monkeypatch.setattr("app.api.questions.bank_outline", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/", "/api/v1/topics"):
            response = client.get(path)
            assert response.status_code == 500
            assert "boom" not in response.text
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_docs_are_served_from_vendored_assets_under_the_csp(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = page_of(response.text)
    scripts = page.select("script")
    assert scripts and all(s.get("src") for s in scripts)  # no inline script
    assert all(not s.get_text(strip=True) for s in scripts)
    assets = [str(s["src"]) for s in scripts] + [str(s["href"]) for s in page.select("link")]
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404
