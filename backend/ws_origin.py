"""WebSocket handshakes only from the platform's own public origin: scheme, host AND port.

Channels' AllowedHostsOriginValidator compares the host alone, so a page served from
http://messagerie.example.fr:8080 (another service on the same host) or over plain HTTP could
open a socket with the user's cookies. Browsers always send Origin on a WebSocket handshake.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


def parse_origin(value: str) -> Origin | None:
    """(scheme, host, port) of an http(s) origin, or None for anything else ("null", junk)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def configured_origins(values: list[str]) -> set[Origin]:
    """Settings check: every configured public origin must parse (fail loudly otherwise)."""
    origins = set()
    for value in values:
        origin = parse_origin(value)
        if origin is None:
            raise ImproperlyConfigured(f"PUBLIC_ORIGIN: {value!r} is not an http(s) origin")
        origins.add(origin)
    return origins


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def origin_allowed(scope: dict[str, Any]) -> bool:
    raw = _header(scope, b"origin")
    origin = parse_origin(raw) if raw else None
    if origin is None:
        return False
    configured = configured_origins(settings.PUBLIC_ORIGINS)
    if configured:
        return origin in configured
    # No public origin configured (development, tests): the page must be same-origin with the
    # socket, i.e. the Origin equals the Host the browser connected to, and that host allowed.
    host = _header(scope, b"host")
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    same = parse_origin(f"{scheme}://{host}") if host else None
    allowed = {h.lower() for h in settings.ALLOWED_HOSTS}
    return origin == same and (origin[1] in allowed or f"[{origin[1]}]" in allowed)
