"""Failed sign-ins slow the attacker down without locking the doctor out.

Failures are read from the audit trail (every server process agrees) and counted in three
scopes over the last LOGIN_LOCKOUT_SECONDS:
- (account, IP): after LOGIN_MAX_FAILURES, a delay doubling at each failure, up to
  LOGIN_MAX_DELAY_SECONDS: the attacker's address is slowed down hard;
- the account from every address: only past 4 x LOGIN_MAX_FAILURES, and never more than
  LOGIN_ACCOUNT_MAX_DELAY_SECONDS, so the right password from another address gets in after at
  most that short delay (an attacker cannot turn the lock-out against a doctor);
- the IP for every account: past LOGIN_IP_FREE_FAILURES (a hospital's NAT carries many people).
An attempt made during a delay is refused without checking the password and audited apart.
An IPv6 "address" here is its /64: one subscriber or site gets a whole /64 and can change
address within it at will, so counting single addresses would let an attacker rotate freely.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from backend.audit import log as audit
from backend.audit.models import AuditEvent
from backend.errors import DomainError, Kind

LOGIN_FAILED = "auth.login_failed"
LOGIN_THROTTLED = "auth.login_throttled"
ACCOUNT_FACTOR = 4


def normalise_username(username: str) -> str:
    return username.strip().lower()[:128]


def _failures(since: datetime, **filters: Any) -> tuple[int, datetime | None]:
    row = AuditEvent.objects.filter(verb=LOGIN_FAILED, at__gte=since, **filters).aggregate(
        n=Count("id"), last=Max("at")
    )
    return int(row["n"]), row["last"]


def _failures_from(since: datetime, ip: str | None, **filters: Any) -> tuple[int, datetime | None]:
    """Failures from ``ip``'s block: the address itself, or every address of an IPv6 /64."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return _failures(since, ip=ip, **filters)
    if address.version == 4:
        return _failures(since, ip=ip, **filters)
    block = ipaddress.ip_network(f"{address}/64", strict=False)
    # Stored addresses are compressed text, so the database can only narrow by the first group
    # (the same for every address of the block); the /64 test is done here on that short list.
    group = int(address) >> 112
    first = f"{group:x}:" if group else ""  # "::1" and the like: no narrowing
    rows = AuditEvent.objects.filter(
        verb=LOGIN_FAILED, at__gte=since, ip__startswith=first, **filters
    ).values_list("ip", "at")
    times = [at for stored, at in rows if stored and ipaddress.ip_address(stored) in block]
    return len(times), max(times, default=None)


def _delay(failures: int, free: int, cap: int) -> int:
    if failures < free:
        return 0
    return int(min(2 ** (failures - free + 1), cap))


def wait_seconds(username: str, ip: str | None) -> int:
    """How long this (account, IP) must still wait before its next attempt is checked."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    free = settings.LOGIN_MAX_FAILURES
    scopes = [
        (
            _failures_from(since, ip, object_id=username),
            free,
            settings.LOGIN_MAX_DELAY_SECONDS,
        ),
        (
            _failures(since, object_id=username),
            free * ACCOUNT_FACTOR,
            settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS,
        ),
    ]
    if ip:
        scopes.append(
            (
                _failures_from(since, ip),
                settings.LOGIN_IP_FREE_FAILURES,
                settings.LOGIN_MAX_DELAY_SECONDS,
            )
        )
    wait = 0.0
    for (count, last), threshold, cap in scopes:
        delay = _delay(count, threshold, cap)
        if delay and last is not None:
            wait = max(wait, (last + timedelta(seconds=delay) - now).total_seconds())
    return int(wait) + 1 if wait > 0 else 0


def _french_delay(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def check(username: str, ip: str | None) -> None:
    """Raises 429 `locked_out` (with Retry-After) while this (account, IP) must wait."""
    wait = wait_seconds(username, ip)
    if not wait:
        return
    audit.record(
        LOGIN_THROTTLED, object_type="accounts.user", object_id=username, data={"wait": wait}
    )
    raise DomainError(
        "locked_out",
        f"Trop d'échecs de connexion depuis cette adresse : réessayez dans {_french_delay(wait)}.",
        Kind.THROTTLED,
        retry_after=wait,
    )


def record_failure(username: str, reason: str, user: Any = None) -> None:
    audit.record(
        LOGIN_FAILED,
        actor=None,
        object_type="accounts.user",
        object_id=username,
        data={"reason": reason, "user": str(user.pk) if user else None},
    )
