"""RATE_LIMITS from the environment (no DRF import: read by backend/settings/api.py)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def parse_rate_limits(raw: str | None, defaults: dict[str, str]) -> dict[str, str]:
    """RATE_LIMITS="messages=60/min,signin.ip=10/min" overrides the defaults, one by one; an
    empty rate ("exports=") removes a limit. Malformed entries fail loudly at start."""
    limits = dict(defaults)
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        name, sep, rate = item.partition("=")
        if not sep:
            raise ImproperlyConfigured(f"RATE_LIMITS: {item!r} is not scope=rate")
        name, rate = name.strip(), rate.strip()
        if rate:
            try:
                count, period = rate.split("/")
                int(count)
                assert period[0] in "smhd"
            except (ValueError, AssertionError, IndexError) as exc:
                raise ImproperlyConfigured(f"RATE_LIMITS: bad rate {rate!r} for {name}") from exc
            limits[name] = rate
        else:
            limits.pop(name, None)
    return limits
