"""Accounts: AUTH=password closes every route, each user sees only their own rows, sessions
expire and are revoked, sign-in is rate limited; AUTH modes and the user CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select, update

from app.accounts.api_keys import create_api_key
from app.accounts.current import local_path
from app.accounts.limits import SignInLimiter
from app.accounts.passwords import Passwords
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import (
    Answer,
    Interview,
    Question,
    Recording,
    SignInSession,
    SourceFile,
    User,
    utcnow,
)
from tests.accounts_support import PASSWORD, add_user, password_settings, sign_in
from tests.fakes import FAKE_GRADERS
from tests.web_client import PageClient

# Open without credentials, and why: everything else must answer 401 or send to /sign-in.
OPEN_PATHS = {
    "/healthz": "load balancers probe it",
    "/api/v1/healthz": "the same, under the API",
    "/sign-in": "the way in",
    "/sign-up": "sends to /sign-in while OPEN_SIGN_UP is off",
    "/docs": "the API's description: no user data",
    "/docs/oauth2-redirect": "part of the API's description",
    "/redoc": "the API's description",
    "/openapi.json": "the API's description",
}
PRIVATE_NOTES = """Part 1: Private
1. Secrets
Interviewer: What is only in Alice's bank?
Your Answer: A question nobody else may see, with a reference answer of its own.
"""


def _filled(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return "anything" if match.group(1).endswith(":path") else str(ids.get(name, 1))

    return re.sub(r"\{([^}]+)\}", value, path)


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI keeps included routers as branches
            yield from _walk(list(included.routes), prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute) or getattr(route, "methods", None):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, prefix + route.path


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, however deeply its routers are nested."""
    found = list(_walk(list(app.routes)))
    assert ("GET", "/interviews/{interview_id}/summary") in found  # the walk does reach them
    return found


@pytest.fixture
def password_app(settings: Settings) -> FastAPI:
    """An app with AUTH=password."""
    return create_app(password_settings(settings), graders=FAKE_GRADERS)


def test_every_route_needs_credentials_under_auth_password(password_app: FastAPI) -> None:
    with PageClient(password_app) as client:
        checked = 0
        for method, path in _routes(password_app):
            if path in OPEN_PATHS:
                continue
            url = _filled(path, {})
            response = client.request(method, url, follow_redirects=False)
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.headers["WWW-Authenticate"] == "Bearer"
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/sign-in"), (method, path)
                htmx = client.request(
                    method, url, headers={"HX-Request": "true"}, follow_redirects=False
                )
                assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith(
                    "/sign-in"
                )
            checked += 1
        assert checked >= 20
        # Static files are public: the sign-in page needs its stylesheet.
        assert client.get("/static/app.css").status_code == 200
        # An unknown page or API path is no way around it either.
        assert client.get("/nowhere", follow_redirects=False).status_code == 303
        assert client.get("/api/v1/nowhere").status_code == 401
        assert client.get("/healthz").status_code in (200, 503)


def test_sign_in_comes_back_to_a_local_page_only(password_app: FastAPI) -> None:
    with PageClient(password_app) as client:
        add_user(password_app.state.database, "alice")
        first = client.get("/history?x=1", follow_redirects=False)
        assert first.headers["location"] == "/sign-in?next=/history%3Fx%3D1"
        response = client.post(
            "/sign-in",
            data={"name": "alice", "password": PASSWORD, "next": "/history?x=1"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/history?x=1"
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        for evil in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"):
            assert local_path(evil) == "/"
        elsewhere = client.post(
            "/sign-in",
            data={"name": "alice", "password": PASSWORD, "next": "//evil.example/x"},
            follow_redirects=False,
        )
        assert elsewhere.headers["location"] == "/"


def test_signed_out_pages_offer_no_links_behind_sign_in(password_app: FastAPI) -> None:
    with PageClient(password_app) as client:
        add_user(password_app.state.database, "alice")
        nav = BeautifulSoup(client.get("/sign-in").text, "html.parser").select("nav a[href]")
        assert [a["href"] for a in nav if a["href"] not in ("/",)] == []
        sign_in(client, "alice")
        nav = BeautifulSoup(client.get("/").text, "html.parser").select("nav a[href]")
        assert {"/history", "/progress", "/material"} <= {str(a["href"]) for a in nav}


def test_cookie_is_secure_when_served_over_https(password_app: FastAPI) -> None:
    with PageClient(password_app, base_url="https://testserver") as client:
        add_user(password_app.state.database, "alice")
        response = client.post(
            "/sign-in", data={"name": "alice", "password": PASSWORD}, follow_redirects=False
        )
        assert "secure" in response.headers["set-cookie"].lower()


def _data_of(database: Database, user_id: int, settings: Settings) -> dict[str, int]:
    """A session with an answer, a recording with kept audio and a private bank of a user."""
    from app.accounts.users import Account  # noqa: F401 (the shape routes pass around)
    from app.material.importer import import_notes_text
    from app.practice.grades import submit_answer
    from app.practice.options import InterviewOptions
    from app.practice.turns import create_interview

    with database.session() as session:
        import_notes_text(session=session, text=PRIVATE_NOTES, name="alice.txt", user_id=user_id)
        # A second bank of hers, for the route that retires a bank (her first one stays).
        spare = import_notes_text(
            session=session, text=PRIVATE_NOTES, name="spare.txt", user_id=user_id
        )
        spare_source = session.scalar(
            select(SourceFile.id).where(
                SourceFile.name == spare.source, SourceFile.user_id == user_id
            )
        )
        private = session.scalar(
            select(Question).join(SourceFile).where(SourceFile.name == "alice.txt")
        )
        assert private is not None
        interview = create_interview(
            session=session, user_id=user_id, options=InterviewOptions(question_ids=(private.id,))
        )
        item = interview.items[0]
        user = session.get(User, user_id)
        assert user is not None
        answer = submit_answer(
            session=session,
            user=user,
            question=item.question,
            item=item,
            text="Only Alice wrote this.",
            max_chars=1000,
        ).answer
        audio = settings.data_dir / "audio"
        audio.mkdir(parents=True, exist_ok=True)
        (audio / f"alice-{user_id}.wav").write_bytes(b"RIFF....WAVE")
        recording = Recording(
            user_id=user_id,
            answer_id=answer.id,
            model="tiny.en",
            transcript="Only Alice said this.",
            duration_s=1.0,
            speaking_s=1.0,
            word_count=4,
            audio_file=f"alice-{user_id}.wav",
            audio_type="audio/wav",
        )
        session.add(recording)
        session.flush()
        return {
            "session_id": interview.id,
            "interview_id": interview.id,
            "item_id": item.id,
            "answer_id": answer.id,
            "question_id": private.id,
            "recording_id": recording.id,
            "source_id": spare_source,
        }


def test_another_users_ids_are_404_on_every_route_that_takes_one(
    settings: Settings, password_app: FastAPI
) -> None:
    with PageClient(password_app) as alice, PageClient(password_app) as bob:
        database: Database = password_app.state.database
        alice_id = add_user(database, "alice")
        bob_id = add_user(database, "bob")
        alices = _data_of(database, alice_id, password_settings(settings))
        with database.session() as session:
            keys = {
                "alice": create_api_key(session=session, user_id=alice_id, name="k"),
                "bob": create_api_key(session=session, user_id=bob_id, name="k"),
            }
        sign_in(alice, "alice")
        sign_in(bob, "bob")
        body: dict[str, Any] = {"answer": "An answer of mine.", "point": "anything"}
        walked = []
        for method, path in _routes(password_app):
            names = [n for n in re.findall(r"\{([^}]+)\}", path) if not n.endswith(":path")]
            if not names:
                continue
            unknown = set(names) - set(alices)
            assert not unknown, f"{method} {path}: give the test an id of Alice's for {unknown}"
            url = _filled(path, alices)
            api = path.startswith("/api/")
            for who, client in (("bob", bob), ("alice", alice)):
                kwargs: dict[str, Any] = {"follow_redirects": False}
                if api:
                    kwargs["headers"] = {"Authorization": f"Bearer {keys[who]}"}
                    if method == "POST" and path.endswith("/override"):
                        kwargs["json"] = {"score": 50}
                    elif method == "POST" and path.endswith("/follow-ups"):
                        kwargs["json"] = {"point": body["point"]}
                    elif method == "POST":
                        kwargs["json"] = {"answer": body["answer"]}
                elif method == "POST":
                    kwargs["data"] = body
                response = client.request(method, url, **kwargs)
                if who == "bob":
                    assert response.status_code == 404, (method, path, response.status_code)
                    assert "Only Alice" not in response.text
                else:  # the ids are real: their owner reaches them
                    assert response.status_code != 404, (method, path, response.text[:200])
            walked.append((method, path))
        assert len(walked) >= 12
        # The bank listings do not show Alice's private bank to Bob, the question list neither.
        assert "Only Alice" not in bob.get("/history").text
        assert "only in Alice" not in bob.get("/").text
        questions = bob.get(
            "/api/v1/questions", headers={"Authorization": f"Bearer {keys['bob']}"}
        ).json()
        assert all("Alice" not in q["question"] for q in questions["items"])
        assert questions["total"] == len(questions["items"]) > 0
        # Bob cannot start an interview on Alice's question, nor score against it.
        started = bob.post(
            "/interviews", data={"question_ids": str(alices["question_id"])}, follow_redirects=False
        )
        assert started.status_code == 422
        scored = bob.post(
            "/api/v1/score",
            json={"question_id": alices["question_id"], "answer": "x"},
            headers={"Authorization": f"Bearer {keys['bob']}"},
        )
        assert scored.status_code == 404
        assert "only in Alice" in alice.get("/").text


def test_uploading_a_file_of_the_same_name_makes_a_bank_of_ones_own(
    password_app: FastAPI,
) -> None:
    with PageClient(password_app) as alice, PageClient(password_app) as bob:
        database: Database = password_app.state.database
        add_user(database, "alice")  # the first account: owns the shipped, published day 1
        add_user(database, "bob")
        sign_in(alice, "alice")
        sign_in(bob, "bob")
        # Bob's "day1.txt" is his own bank: the published one is untouched.
        uploaded = bob.post(
            "/material", files={"notes": ("day1.txt", PRIVATE_NOTES.encode(), "text/plain")}
        )
        assert uploaded.status_code == 200 and "1 new" in uploaded.text
        with database.session() as session:
            day1 = session.scalars(select(SourceFile).where(SourceFile.name == "day1.txt")).all()
            assert len(day1) == 2
            published = [s for s in day1 if s.published]
            assert len(published) == 1
            retired = session.scalars(
                select(Question).where(
                    Question.source_file_id == published[0].id, Question.retired.is_(True)
                )
            ).all()
            assert retired == []
        assert "only in Alice" not in alice.get("/").text
        # Bob's bank shows both files under their own headings; only the published one is
        # marked shared.
        home = BeautifulSoup(bob.get("/").text, "html.parser")
        files = home.select("[data-testid=bank-source][data-source='day1.txt']")
        assert len(files) == 2
        shared = [f for f in files if f.select_one("[data-testid=shared-bank]")]
        assert len(shared) == 1
        own = next(f for f in files if f not in shared)
        assert "only in Alice" in own.get_text() and "only in Alice" not in shared[0].get_text()


def test_session_expiry_and_sign_out_revoke(password_app: FastAPI) -> None:
    with PageClient(password_app) as client:
        database: Database = password_app.state.database
        add_user(database, "alice")
        sign_in(client, "alice")
        assert client.get("/", follow_redirects=False).status_code == 200
        with database.session() as session:
            session.execute(
                update(SignInSession).values(expires_at=utcnow() - timedelta(seconds=1))
            )
        assert client.get("/", follow_redirects=False).status_code == 303

        sign_in(client, "alice")
        token = client.cookies.get("mi_session")
        assert token
        out = client.post("/sign-out", follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/sign-in"
        with database.session() as session:
            latest = session.scalars(select(SignInSession).order_by(SignInSession.id.desc()))
            assert next(iter(latest)).revoked_at is not None
        # The old cookie, sent again (a copy kept by someone), opens nothing.
        client.cookies.set("mi_session", token)
        assert client.get("/", follow_redirects=False).status_code == 303


def test_changing_the_password_signs_out_the_other_browsers(password_app: FastAPI) -> None:
    with PageClient(password_app) as here, PageClient(password_app) as there:
        add_user(password_app.state.database, "alice")
        sign_in(here, "alice")
        sign_in(there, "alice")
        wrong = here.post(
            "/account/password",
            data={"current": "not it at all", "new": "a new password", "repeat": "a new password"},
        )
        assert wrong.status_code == 422
        changed = here.post(
            "/account/password",
            data={"current": PASSWORD, "new": "a new password", "repeat": "a new password"},
        )
        assert changed.status_code == 200
        assert BeautifulSoup(changed.text, "html.parser").select_one(
            "[data-testid=password-changed]"
        )
        assert here.get("/", follow_redirects=False).status_code == 200
        assert there.get("/", follow_redirects=False).status_code == 303
        old = there.post(
            "/sign-in", data={"name": "alice", "password": PASSWORD}, follow_redirects=False
        )
        assert old.status_code == 401
        sign_in(there, "alice", "a new password")


def test_sign_in_is_rate_limited_per_account_and_per_address(settings: Settings) -> None:
    app = create_app(
        password_settings(settings, sign_in_attempts_per_account=3, sign_in_attempts_per_address=5),
        graders=FAKE_GRADERS,
    )
    with PageClient(app) as client:
        add_user(app.state.database, "alice")
        for _ in range(3):
            failed = client.post("/sign-in", data={"name": "alice", "password": "wrong guess"})
            assert failed.status_code == 401
        limited = client.post("/sign-in", data={"name": "Alice", "password": PASSWORD})
        assert limited.status_code == 429
        assert 0 < int(limited.headers["Retry-After"]) <= 900
        assert client.get("/", follow_redirects=False).status_code == 303  # not signed in
        # Other names from the same address: two more failures fill the address's limit.
        for name in ("bob", "carol"):
            assert client.post("/sign-in", data={"name": name, "password": "x"}).status_code == 401
        blocked = client.post("/sign-in", data={"name": "dave", "password": "x"})
        assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_a_limited_account_may_try_again_as_its_window_refills() -> None:
    now = [1000.0]
    limiter = SignInLimiter(per_account=2, per_address=100, window_s=60, clock=lambda: now[0])
    for _ in range(2):
        limiter.failed(name="Alice", address="10.0.0.1")
    assert limiter.retry_after(name="alice", address="10.0.0.2") == 30
    assert limiter.retry_after(name="bob", address="10.0.0.1") is None
    now[0] += 30
    assert limiter.retry_after(name="alice", address="10.0.0.1") is None
    limiter.failed(name="alice", address="10.0.0.1")
    assert limiter.retry_after(name="alice", address="10.0.0.1") == 30
    limiter.succeeded(name="ALICE")
    assert limiter.retry_after(name="alice", address="10.0.0.1") is None


def test_an_unknown_name_costs_a_hash_check_like_a_wrong_password() -> None:
    passwords = Passwords(memory_kib=8, time_cost=1)
    checked: list[str] = []
    hasher = passwords._hasher
    original = hasher.verify

    def counting(password: str | bytes, hash: str | bytes) -> bool:
        checked.append(str(hash))
        return original(password, hash)

    hasher.verify = counting  # type: ignore[method-assign]
    assert passwords.verify("guess", None) == (False, None)
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")
    stored = passwords.hash("a real password")
    assert passwords.verify("a real password", stored)[0] is True
    assert Passwords(memory_kib=16, time_cost=1).verify("a real password", stored)[1]


def test_open_sign_up_is_off_by_default_and_makes_plain_users(settings: Settings) -> None:
    with PageClient(create_app(password_settings(settings), graders=FAKE_GRADERS)) as client:
        closed = client.get("/sign-up", follow_redirects=False)
        assert closed.status_code == 303 and closed.headers["location"] == "/sign-in"
        posted = client.post(
            "/sign-up",
            data={"name": "mallory", "password": PASSWORD, "repeat": PASSWORD},
            follow_redirects=False,
        )
        assert posted.status_code == 303 and client.cookies.get("mi_session") is None
    app = create_app(password_settings(settings, open_sign_up=True), graders=FAKE_GRADERS)
    with PageClient(app) as client:
        short = client.post("/sign-up", data={"name": "carol", "password": "x", "repeat": "x"})
        assert short.status_code == 422 and "8 characters" in short.text
        made = client.post(
            "/sign-up",
            data={"name": "carol", "password": PASSWORD, "repeat": PASSWORD},
            follow_redirects=False,
        )
        assert made.status_code == 303
        home = client.get("/")
        assert home.status_code == 200
        account = BeautifulSoup(home.text, "html.parser").select_one("[data-testid=account]")
        assert account is not None and "carol" in account.text
        with app.state.database.session() as session:
            carol = session.scalar(select(User).where(User.name == "carol"))
            assert carol is not None and not carol.is_admin
            # Sign-up never claims the local user: "me" keeps its data and stays the admin.
            me = session.scalar(select(User).where(User.name == "me"))
            assert me is not None and me.is_admin


def test_auth_none_is_one_local_admin_and_refuses_a_network_address(
    settings: Settings, client: TestClient
) -> None:
    assert settings.auth_mode == "none"
    assert client.get("/", follow_redirects=False).status_code == 200
    assert client.get("/sign-in", follow_redirects=False).headers["location"] == "/"
    with client.app.state.database.session() as session:  # type: ignore[attr-defined]
        (me,) = session.scalars(select(User)).all()
        assert me.name == "me" and me.is_admin
    base = settings.model_dump()
    assert Settings.model_validate(base | {"host": "0.0.0.0"}).auth_mode == "password"
    assert Settings.model_validate(base | {"host": "::1"}).auth_mode == "none"
    with pytest.raises(ValidationError, match="ALLOW_UNAUTHENTICATED_NETWORK"):
        Settings.model_validate(base | {"host": "0.0.0.0", "auth": "none"})
    unsafe = base | {"host": "0.0.0.0", "auth": "none", "allow_unauthenticated_network": True}
    assert Settings.model_validate(unsafe).auth_mode == "none"
    with pytest.raises(ValidationError, match="API_KEYS_REQUIRED=false"):
        Settings.model_validate(base | {"auth": "password", "api_keys_required": False})
    assert Settings.model_validate(base | {"auth": "password"}).api_keys_enforced
    assert Settings.model_validate(base | {"api_keys_required": True}).api_keys_enforced


def test_api_keys_act_as_their_user(settings: Settings) -> None:
    app = create_app(password_settings(settings), graders=FAKE_GRADERS)
    with PageClient(app) as client:
        database: Database = app.state.database
        alice = add_user(database, "alice")
        bob = add_user(database, "bob")
        with database.session() as session:
            alice_key = create_api_key(session=session, user_id=alice, name="laptop")
            bob_key = create_api_key(session=session, user_id=bob, name="laptop")
        made = client.post(
            "/api/v1/sessions", json={"count": 1}, headers={"Authorization": f"Bearer {bob_key}"}
        )
        assert made.status_code == 201
        with database.session() as session:
            interview = session.get(Interview, made.json()["id"])
            assert interview is not None and interview.user_id == bob
        as_alice = client.get(
            f"/api/v1/sessions/{made.json()['id']}",
            headers={"Authorization": f"Bearer {alice_key}"},
        )
        assert as_alice.status_code == 404


def test_the_same_idempotency_key_of_two_users_stores_two_answers(settings: Settings) -> None:
    app = create_app(password_settings(settings), graders=FAKE_GRADERS)
    with PageClient(app) as client:
        database: Database = app.state.database
        keys = {}
        for name in ("alice", "bob"):
            user_id = add_user(database, name)
            with database.session() as session:
                keys[name] = create_api_key(session=session, user_id=user_id, name="k")
        for name, key in keys.items():
            auth = {"Authorization": f"Bearer {key}"}
            started = client.post("/api/v1/sessions", json={"count": 1}, headers=auth).json()
            answered = client.post(
                f"/api/v1/sessions/{started['id']}/answers",
                json={"answer": f"{name}'s answer"},
                headers=auth | {"Idempotency-Key": "same-key"},
            )
            assert answered.status_code in (201, 202), answered.text
            assert answered.json()["answer"]["text"] == f"{name}'s answer"
        with database.session() as session:
            assert len(session.scalars(select(Answer)).all()) == 2


def _cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str, stdin: str = "") -> int:
    import io

    from app import cli

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.setattr(cli, "Settings", lambda: password_settings(settings))
    return cli.main(list(argv))


def test_user_cli_creates_claims_lists_sets_passwords_and_deletes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The password comes from stdin (or a prompt), never from argv.
    assert _cli(monkeypatch, settings, "user", "create", "alice", stdin="short\n") == 1
    assert "8 characters" in capsys.readouterr().err
    assert _cli(monkeypatch, settings, "user", "create", "alice", stdin=f"{PASSWORD}\n") == 0
    assert "keeps the local user's history" in capsys.readouterr().out
    assert _cli(monkeypatch, settings, "user", "create", "bob", stdin=f"{PASSWORD}\n") == 0
    capsys.readouterr()
    assert _cli(monkeypatch, settings, "user", "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:3] for line in listing] == [
        ["alice", "admin", "can sign in"],
        ["bob", "user", "can sign in"],
    ]
    app = create_app(password_settings(settings), graders=FAKE_GRADERS)
    with PageClient(app) as client:
        sign_in(client, "bob")
        assert (
            _cli(monkeypatch, settings, "user", "set-password", "bob", stdin="another pass\n") == 0
        )
        assert client.get("/", follow_redirects=False).status_code == 303  # signed out
        sign_in(client, "bob", "another pass")
        client.post("/interviews", data={"count": "1"})
    assert _cli(monkeypatch, settings, "user", "delete", "alice", "--yes") == 1
    assert "last admin" in capsys.readouterr().err
    assert _cli(monkeypatch, settings, "user", "delete", "bob", "--yes") == 0
    database = app.state.database
    with database.session() as session:
        assert [u.name for u in session.scalars(select(User))] == ["alice"]
        assert session.scalars(select(Interview)).all() == []
        # The first account claimed the local user: it owns the shipped, published bank.
        day1 = session.scalar(select(SourceFile).where(SourceFile.name == "day1.txt"))
        alice = session.scalar(select(User).where(User.name == "alice"))
        assert day1 is not None and alice is not None
        assert day1.published and day1.user_id == alice.id


def test_migration_gives_existing_rows_to_the_first_user(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from app.db import alembic_config

    database = Database.from_url(database_url)
    config = alembic_config(database.engine)
    command.upgrade(config, "0004")
    with database.engine.begin() as connection:
        for statement in (
            "INSERT INTO \"user\" (id, name, created_at) VALUES (1, 'me', '2026-01-01')",
            "INSERT INTO source_file (id, name, format, content_hash, imported_at) "
            "VALUES (1, 'day1.txt', 'text', 'h', '2026-01-01'), "
            "(2, 'mine.txt', 'text', 'h', '2026-01-01')",
            "INSERT INTO api_key (id, name, prefix, key_hash, created_at) "
            "VALUES (1, 'bot', 'mi_x', 'hash', '2026-01-01')",
            "INSERT INTO recording (id, created_at, model, transcript, duration_s, speaking_s, "
            "word_count, fillers, long_pauses, words) "
            "VALUES (1, '2026-01-01', 'tiny.en', 't', 1, 1, 1, '{}', '[]', '[]')",
        ):
            connection.execute(text(statement))
    command.upgrade(config, "head")
    with database.session() as session:
        me = session.get(User, 1)
        assert me is not None and me.is_admin and me.password_hash is None
        sources = {s.name: (s.user_id, s.published) for s in session.scalars(select(SourceFile))}
        assert sources == {"day1.txt": (1, True), "mine.txt": (1, False)}
        recording = session.get(Recording, 1)
        assert recording is not None and recording.user_id == 1
    command.downgrade(config, "0004")
    command.upgrade(config, "head")
    database.dispose()


def test_migration_of_rows_without_any_user_creates_the_local_admin(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from app.db import alembic_config

    database = Database.from_url(database_url)
    config = alembic_config(database.engine)
    command.upgrade(config, "0004")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO source_file (id, name, format, content_hash, imported_at) "
                "VALUES (1, 'day1.txt', 'text', 'h', '2026-01-01')"
            )
        )
    command.upgrade(config, "head")
    with database.session() as session:
        (me,) = session.scalars(select(User)).all()
        assert me.name == "me" and me.is_admin
        source = session.get(SourceFile, 1)
        assert source is not None and source.user_id == me.id and source.published
    database.dispose()


def test_serve_refuses_auth_none_on_a_network_address(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app import cli

    class FromEnvironment:  # what `Settings()` would read, with AUTH=none
        model_validate = staticmethod(Settings.model_validate)

        def __new__(cls) -> Settings:  # type: ignore[misc]
            return settings.model_copy(update={"auth": "none"})

    monkeypatch.setattr(cli, "Settings", FromEnvironment)
    assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert "AUTH=none would let anyone who reaches 0.0.0.0 act as the admin" in error
    assert "mock-interview user create NAME --admin" in error


def test_an_admin_publishes_a_users_bank_from_the_command_line(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    notes = tmp_path / "bobs.txt"
    notes.write_text(PRIVATE_NOTES)
    for name in ("alice", "bob"):
        assert _cli(monkeypatch, settings, "user", "create", name, stdin=f"{PASSWORD}\n") == 0
    assert _cli(monkeypatch, settings, "import", str(notes), "--user", "bob") == 0
    capsys.readouterr()
    assert _cli(monkeypatch, settings, "bank", "list") == 0
    assert "bobs.txt\tbob\tprivate\t1 questions" in capsys.readouterr().out
    app = create_app(password_settings(settings), graders=FAKE_GRADERS)
    with PageClient(app) as alice:
        sign_in(alice, "alice")
        assert "only in Alice" not in alice.get("/").text
        assert _cli(monkeypatch, settings, "bank", "publish", "bobs.txt", "--user", "bob") == 0
        assert "only in Alice" in alice.get("/").text
        assert _cli(monkeypatch, settings, "bank", "publish", "nope.txt", "--user", "bob") == 1
        assert "no bank called 'nope.txt'" in capsys.readouterr().err
