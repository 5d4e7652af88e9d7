"""ICE servers for a call: STUN, and TURN with time-limited credentials (coturn REST API:
use-auth-secret / static-auth-secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings

from conversations import actions

Json = dict[str, Any]


def turn_credentials(user_id: Any, secret: str, ttl: int, now: float | None = None) -> Json:
    """username "<expiry unix time>:<user id>", credential base64(HMAC-SHA1(secret, username)):
    coturn recomputes it with the shared secret and refuses it after the expiry."""
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {"username": username, "credential": base64.b64encode(digest).decode("ascii")}


def ice_servers(user: Any) -> Json:
    actions.require_clinician(user)
    ttl = int(settings.TURN_CREDENTIAL_TTL)
    servers: list[Json] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        servers.append(
            {
                "urls": list(settings.TURN_URLS),
                **turn_credentials(user.pk, str(settings.TURN_SECRET), ttl),
            }
        )
    return {"ice_servers": servers, "ttl": ttl}
