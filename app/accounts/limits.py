"""Sign-in rate limits: failed attempts per account name and per client address.

Built on the app's one limiter (app/security/rate_limit.py): each failure spends a token of a
bucket that holds `per_account` (or `per_address`) tokens and refills over `window_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.security.rate_limit import RateLimiter, retry_after_header


class SignInLimiter:
    """The two limits a sign-in passes: one per account name, one per client address."""

    def __init__(
        self,
        *,
        per_account: int,
        per_address: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.accounts = RateLimiter(per_account, window_s, clock=clock)
        self.addresses = RateLimiter(per_address, window_s, clock=clock)

    @staticmethod
    def _account(name: str) -> str:
        return name.strip().lower()

    def retry_after(self, *, name: str, address: str) -> int | None:
        """Whole seconds to wait before this name may be tried from this address, or None."""
        wait = max(
            self.accounts.retry_after(self._account(name)), self.addresses.retry_after(address)
        )
        return int(retry_after_header(wait)) if wait > 0 else None

    def failed(self, *, name: str, address: str) -> None:
        """Count a failed attempt against both."""
        self.accounts.take(self._account(name))
        self.addresses.take(address)

    def succeeded(self, *, name: str) -> None:
        """The account signed in: its own count starts again (the address's does not)."""
        self.accounts.reset(self._account(name))
