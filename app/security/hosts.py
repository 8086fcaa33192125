"""TRUSTED_HOSTS: a request whose Host header names another server is refused with 400.

A page on an attacker's domain that resolves to 127.0.0.1 (DNS rebinding) reaches a local
server with its own name in Host; answering only our own names stops it.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# Addresses that mean "every interface": they name no host a browser would send.
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::", "[::]"})


def default_trusted_hosts(served_on: str) -> list[str]:
    """The loopback names and the address served on (unless it is a wildcard)."""
    hosts = list(LOOPBACK_HOSTS)
    address = normalise_host(served_on)
    if address not in WILDCARD_ADDRESSES and address not in hosts:
        hosts.append(address)
    return hosts


def normalise_host(host: str) -> str:
    """A host name as compared: lower case, no brackets around an IPv6 address, no port."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 else host
    if host.count(":") == 1:  # name:port; more than one colon is a bare IPv6 address
        host = host.partition(":")[0]
    return host.rstrip(".")


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """True when `host` is one of `patterns`: `*` (any), `*.example.com` (subdomains) or a name."""
    for pattern in patterns:
        if pattern == "*" or pattern == host:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class TrustedHostMiddleware:
    """400 for any request whose Host is not a trusted host (IPv6 literals and ports handled)."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed_hosts = [normalise_host(h) if h != "*" else h for h in allowed_hosts]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass trusted requests on; answer the others 400 without reading their body."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = normalise_host(value.decode("latin-1"))
                break
        if host and host_matches(host, self.allowed_hosts):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "Invalid host header: this server does not answer to that name (see TRUSTED_HOSTS).",
            status_code=400,
        )
        await response(scope, receive, send)
