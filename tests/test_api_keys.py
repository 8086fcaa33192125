"""API keys: creating, listing and revoking them, and requiring them on /api/v1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.accounts.api_keys import ApiKeyError, create_api_key, list_api_keys, revoke_api_key
from app.accounts.users import ensure_local_user
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import ApiKey
from tests.fakes import FAKE_GRADERS
from tests.web_client import PageClient

API = "/api/v1"


def test_keys_are_stored_as_hashes(database: Database) -> None:
    with database.session() as session:
        key = create_api_key(
            session=session, user_id=ensure_local_user(session=session).id, name="bot"
        )
    assert key.startswith("mi_") and len(key) > 30
    with database.session() as session:
        (stored,) = list_api_keys(session=session)
        assert stored.name == "bot" and key.startswith(stored.prefix)
        assert key not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
        with pytest.raises(ApiKeyError):
            create_api_key(
                session=session, user_id=ensure_local_user(session=session).id, name="bot"
            )
        with pytest.raises(ApiKeyError):
            revoke_api_key(
                session=session, user_id=ensure_local_user(session=session).id, name="nobody"
            )


@pytest.fixture
def keyed_client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    settings = settings.model_copy(update={"api_keys_required": True})
    with PageClient(create_app(settings, graders=FAKE_GRADERS)) as client:
        yield client


def _new_key(client: TestClient, name: str) -> str:
    with client.app.state.database.session() as session:  # type: ignore[attr-defined]
        return create_api_key(
            session=session, user_id=ensure_local_user(session=session).id, name=name
        )


def test_keys_required_rejects_missing_wrong_and_revoked_keys(keyed_client: TestClient) -> None:
    key = _new_key(keyed_client, "bot")
    for headers in (
        {},
        {"Authorization": "Bearer mi_wrong"},
        {"Authorization": f"Basic {key}"},
        {"Authorization": key},
    ):
        response = keyed_client.get(f"{API}/topics", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    ok = keyed_client.get(f"{API}/topics", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200

    with keyed_client.app.state.database.session() as session:  # type: ignore[attr-defined]
        revoke_api_key(session=session, user_id=ensure_local_user(session=session).id, name="bot")
    revoked = keyed_client.get(f"{API}/topics", headers={"Authorization": f"Bearer {key}"})
    assert revoked.status_code == 401


def test_key_use_is_recorded_and_health_stays_open(keyed_client: TestClient) -> None:
    key = _new_key(keyed_client, "course")
    database = keyed_client.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        assert session.query(ApiKey).one().last_used_at is None
    # Even a request that fails afterwards (404) records the key's use.
    response = keyed_client.get(
        f"{API}/questions/99999", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 404
    with database.session() as session:
        assert session.query(ApiKey).one().last_used_at is not None
    assert keyed_client.get("/healthz").status_code == 200
    assert keyed_client.get(f"{API}/healthz").status_code == 200
    assert keyed_client.get("/openapi.json").status_code == 200


def test_keys_not_required_by_default(client: TestClient) -> None:
    assert client.get(f"{API}/topics").status_code == 200
