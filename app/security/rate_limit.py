"""Rate limits: token buckets by key, kept in this process's memory.

`RateLimiter` is the one limiter of the app: `take(key)` spends a token and says how long to
wait when there is none; buckets refill steadily, so `limit` calls per `period_s` on average
with bursts of up to `limit`. It is per process and forgets on restart: with several server
processes each one counts on its own (the bound is `limit` x processes), which is what a
self-hosted tool needs; a shared store would be needed for more.

`ApiRateLimitMiddleware` applies the API's limits before a request's body is read:

* with a Bearer key (when API_KEYS_REQUIRED is on): API_RATE_LIMIT calls a minute per key;
* without one: SCORE_RATE_LIMIT calls a minute per client address to the /score routes, the
  ones that spend CPU on whatever text they are sent;
* an address that sent AUTH_FAILURES_PER_MINUTE invalid keys is refused for a while
  (`app.accounts.current` records the failures), so keys cannot be guessed at speed.

Refusals are 429 with `Retry-After` in whole seconds.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

# Invalid API keys an address may send per minute before it is refused for a while.
AUTH_FAILURES_PER_MINUTE = 20
# Buckets kept per limiter; the least recently used go first (a full bucket is the default).
MAX_KEYS = 50_000


class RateLimiter:
    """`limit` calls per `period_s` per key (token buckets), thread-safe, in memory."""

    def __init__(
        self,
        limit: int,
        period_s: float,
        *,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or period_s <= 0:
            raise ValueError("a rate limit needs limit >= 1 and period_s > 0")
        self.limit = limit
        self.period_s = period_s
        self._rate = limit / period_s
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend `cost` tokens of `key`'s bucket: 0.0 when allowed, else seconds to wait."""
        with self._lock:
            tokens, now = self._refilled(key)
            if tokens >= cost:
                self._store(key, tokens - cost, now)
                return 0.0
            self._store(key, tokens, now)
            return (cost - tokens) / self._rate

    def retry_after(self, key: str, cost: float = 1.0) -> float:
        """Seconds until `key` could spend `cost` tokens (0.0: now), spending nothing."""
        with self._lock:
            tokens, _now = self._refilled(key)
            return 0.0 if tokens >= cost else (cost - tokens) / self._rate

    def reset(self, key: str) -> None:
        """Forget `key`'s bucket (a full one again), e.g. after a successful sign-in."""
        with self._lock:
            self._buckets.pop(key, None)

    def _refilled(self, key: str) -> tuple[float, float]:
        now = self._clock()
        tokens, updated = self._buckets.get(key, (float(self.limit), now))
        return min(float(self.limit), tokens + (now - updated) * self._rate), now

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)


def retry_after_header(wait_s: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))


@dataclass
class ApiRateLimits:
    """The API's limiters; None where the setting turned a limit off."""

    per_key: RateLimiter | None
    score_per_address: RateLimiter | None
    auth_failures: RateLimiter

    @classmethod
    def of(cls, *, api_rate_limit: int, score_rate_limit: int) -> ApiRateLimits:
        """Limiters for the settings (calls per minute; 0 is no limit)."""
        return cls(
            per_key=RateLimiter(api_rate_limit, 60.0) if api_rate_limit else None,
            score_per_address=RateLimiter(score_rate_limit, 60.0) if score_rate_limit else None,
            auth_failures=RateLimiter(AUTH_FAILURES_PER_MINUTE, 60.0),
        )

    def record_auth_failure(self, address: str) -> None:
        """Count an invalid key sent from `address`."""
        self.auth_failures.take(address)


def client_address(scope: Scope) -> str:
    """The client's address (the proxy's X-Forwarded-For when uvicorn trusts it)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def key_id(token: str) -> str:
    """A bucket name for an API key that does not keep the key itself in memory."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]


class ApiRateLimitMiddleware:
    """429 + Retry-After for API calls over their limits, before the body is read."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: ApiRateLimits,
        keys_required: bool,
        prefix: str = "/api/",
        score_prefix: str = "/api/v1/score",
        exempt: tuple[str, ...] = ("/api/v1/healthz",),
    ) -> None:
        self.app = app
        self.limits = limits
        self.keys_required = keys_required
        self.prefix = prefix
        self.score_prefix = score_prefix
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Charge the request to its key or address; refuse it when that bucket is empty."""
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or path in self.exempt:
            await self.app(scope, receive, send)
            return
        wait, why = self._wait(scope, path)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        from app.api.errors import error_response  # the API's error shape (it imports us)

        response = error_response(
            429,
            "too_many_requests",
            f"{why}; retry in {retry_after_header(wait)} s",
            {"retry_after_s": round(wait, 1)},
            headers={"Retry-After": retry_after_header(wait)},
        )
        await response(scope, receive, send)

    def _wait(self, scope: Scope, path: str) -> tuple[float, str]:
        address = client_address(scope)
        failing = self.limits.auth_failures.retry_after(address)
        if failing > 0:
            return failing, "too many invalid API keys from this address"
        token = _bearer(scope)
        if self.keys_required and token and self.limits.per_key is not None:
            limit = self.limits.per_key.limit
            return self.limits.per_key.take(key_id(token)), f"over {limit} calls a minute per key"
        scoring = path == self.score_prefix or path.startswith(self.score_prefix + "/")
        if scoring and self.limits.score_per_address is not None:
            limit = self.limits.score_per_address.limit
            wait = self.limits.score_per_address.take(address)
            return wait, f"over {limit} scoring calls a minute from this address without a key"
        return 0.0, ""


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None
