"""REST rate limits, as the socket has its token bucket: per user AND per client address, for
the operations that cost (messages, uploads, searches, exports, sign-in). Over the limit: 429
in the contract's error shape with `Retry-After` (DRF sets it from the throttle's wait).

A view names its scope (``throttle_scope``, or ``throttle_scopes`` per HTTP method); the rates
come from settings.RATE_LIMITS, "<scope>" per user and "<scope>.ip" per address, each a DRF
rate such as "60/min". A scope without a rate is not limited. Counters live in the cache
(Redis when configured, so every process shares them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from backend.observability import address_block, client_ip


def view_scope(request: Request, view: Any) -> str | None:
    scopes = getattr(view, "throttle_scopes", None)
    if scopes:
        return scopes.get(request.method)
    return getattr(view, "throttle_scope", None)


class _ScopedThrottle(SimpleRateThrottle):
    suffix = ""

    def __init__(self) -> None:  # the rate depends on the view: set in allow_request
        pass

    def allow_request(self, request: Request, view: Any) -> bool:
        scope = view_scope(request, view)
        rate = settings.RATE_LIMITS.get(f"{scope}{self.suffix}") if scope else None
        if not rate:
            return True
        self.scope = f"{scope}{self.suffix}"
        self.rate = rate
        self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request, view)

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        ident = self.ident(request)
        if ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerUserThrottle(_ScopedThrottle):
    def ident(self, request: Request) -> str | None:
        user = request.user
        return str(user.pk) if user and user.is_authenticated else None


class PerAddressThrottle(_ScopedThrottle):
    suffix = ".ip"

    def ident(self, request: Request) -> str | None:
        ip = client_ip(request.META)
        return address_block(ip) if ip else "unknown"
