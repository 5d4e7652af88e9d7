"""The signed-in user of a WebSocket handshake, as Channels' AuthMiddlewareStack resolves it
(Django's own `get_user` over the session named by the cookie), without what that stack keeps
for the whole life of every socket (issue #21 item 5: memory per idle socket): the session
store with its decoded data, the parsed cookies, a lazy user and session wrapper, and three
copies of the scope held by three middleware frames.

`authenticate` puts in the scope `user` (the User, or AnonymousUser) and `session`: a
SocketSession with the key and only the entries the consumer reads at `connect`. (The scope is
this socket's own dict from the server: changed in place, not copied.)
"""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.http.cookie import parse_cookie
from django_otp import DEVICE_ID_SESSION_KEY

from backend.accounts.psc.tokens import PSC_SESSION
from backend.accounts.sessions import AUTH_AT

KEPT = (AUTH_AT, DEVICE_ID_SESSION_KEY)  # kept as they are; PSC_SESSION only as a flag


class SocketSession:
    """What a socket needs of its session once signed in (read like the session: `.get`)."""

    __slots__ = ("data", "session_key")

    def __init__(self, session_key: str | None, data: dict[str, Any]) -> None:
        self.session_key = session_key
        self.data = data

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def signed_in(headers: list[tuple[bytes, bytes]]) -> tuple[Any, SocketSession]:
    cookies: dict[str, str] = {}
    for name, value in headers:
        if name == b"cookie":
            cookies = parse_cookie(value.decode("latin1"))
            break
    store = import_module(settings.SESSION_ENGINE).SessionStore(
        cookies.get(settings.SESSION_COOKIE_NAME)
    )
    request: Any = SimpleNamespace(session=store)  # get_user reads request.session only
    user = get_user(request)
    data = {key: store[key] for key in KEPT if key in store}
    if store.get(PSC_SESSION):
        data[PSC_SESSION] = True
    return user, SocketSession(store.session_key, data)


async def authenticate(scope: dict[str, Any]) -> None:
    scope["user"], scope["session"] = await database_sync_to_async(signed_in)(
        scope.get("headers") or []
    )
