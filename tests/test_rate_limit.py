"""Rate limits: the limiter itself, API calls per key, keyless /score per address, key guessing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.accounts.api_keys import create_api_key
from app.accounts.users import ensure_local_user
from app.config import Settings
from app.main import create_app
from app.security.rate_limit import AUTH_FAILURES_PER_MINUTE, RateLimiter
from tests.fakes import FAKE_GRADERS

API = "/api/v1"
SCORE = {"question": "What is dropout?", "reference_answer": "Units are zeroed.", "answer": "x"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60.0, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(20.0)  # one token comes back every 20 s
    assert limiter.take("b") == 0.0  # other keys have their own bucket
    clock.now += 20
    assert limiter.retry_after("a") == 0.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    limiter.reset("a")
    assert limiter.take("a") == 0.0


def test_the_limiter_keeps_a_bounded_number_of_buckets() -> None:
    limiter = RateLimiter(1, 60.0, max_keys=100)
    for n in range(1000):
        limiter.take(f"key-{n}")
    assert len(limiter._buckets) == 100


def _app_client(settings: Settings, **changes: object) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=changes), graders=FAKE_GRADERS))


def test_keyless_scoring_is_limited_per_address_with_retry_after(settings: Settings) -> None:
    with _app_client(settings, score_rate_limit=3) as client:
        assert [client.post(f"{API}/score", json=SCORE).status_code for _ in range(3)] == [200] * 3
        refused = client.post(f"{API}/score/batch", json={"items": [SCORE]})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "too_many_requests"
        # Reading the bank costs little and is not limited without a key.
        assert client.get(f"{API}/topics").status_code == 200


@pytest.fixture
def keyed(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    with _app_client(settings, api_keys_required=True, api_rate_limit=5) as client:
        with client.app.state.database.session() as session:  # type: ignore[attr-defined]
            key = create_api_key(
                session=session, user_id=ensure_local_user(session=session).id, name="bot"
            )
        yield client, key


def test_api_calls_are_limited_per_key(keyed: tuple[TestClient, str]) -> None:
    client, key = keyed
    auth = {"Authorization": f"Bearer {key}"}
    assert [client.get(f"{API}/topics", headers=auth).status_code for _ in range(5)] == [200] * 5
    refused = client.get(f"{API}/topics", headers=auth)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 12
    # The health check stays open.
    assert client.get(f"{API}/healthz", headers=auth).status_code in (200, 503)


def test_guessing_keys_is_slowed_down(keyed: tuple[TestClient, str]) -> None:
    client, key = keyed
    statuses = [
        client.get(f"{API}/topics", headers={"Authorization": f"Bearer mi_guess{n}"}).status_code
        for n in range(AUTH_FAILURES_PER_MINUTE + 5)
    ]
    assert statuses[:AUTH_FAILURES_PER_MINUTE] == [401] * AUTH_FAILURES_PER_MINUTE
    assert set(statuses[AUTH_FAILURES_PER_MINUTE:]) == {429}
    # From this address, even the right key waits a while now.
    refused = client.get(f"{API}/topics", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_settings_turn_limits_off(settings: Settings) -> None:
    with _app_client(settings, score_rate_limit=0) as client:
        assert {client.post(f"{API}/score", json=SCORE).status_code for _ in range(150)} == {200}
