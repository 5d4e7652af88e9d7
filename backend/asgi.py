"""ASGI entry point: HTTP through Django, `/ws/` through the chat consumer.

A WebSocket goes through one frame (`GracefulWebSockets`) that checks the origin
(backend.ws_origin), reads the signed-in user (backend.ws_auth) and runs the consumer: no chain
of middleware and router frames and scope copies kept for the life of every socket (issue #21
goal 5: memory per idle socket).

Graceful shutdown under daphne: on SIGTERM, before daphne cancels its application instances,
every open WebSocket receives a close frame with code 1012 (service restart) and the process
waits up to `CLOSE_GRACE_SECONDS` for the clients to answer it; sockets opened meanwhile are
refused. The web client reconnects on any close (to another process behind the load balancer)
and resyncs from its cursor. Outside daphne the shim only passes the calls through.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.security.websocket import WebsocketDenier  # noqa: E402

from backend.body_limit import BodyLimitASGI  # noqa: E402
from backend.ws_auth import authenticate  # noqa: E402
from backend.ws_daphne import daphne_protocol, lighter  # noqa: E402
from backend.ws_origin import origin_allowed  # noqa: E402
from conversations.consumers import ChatConsumer  # noqa: E402

CLOSE_GRACE_SECONDS = 5.0
WS_PATH = "/ws/"
SERVICE_RESTART = 1012  # RFC 6455 close code registered for "service restart"


class GracefulWebSockets:
    """The WebSocket application: only from the public origin (ws_origin) and at WS_PATH (any
    other handshake is refused: HTTP 403), with the signed-in user in the scope (ws_auth).

    Remembers the daphne protocol of each open WebSocket so that the shutdown hook can close
    it with 1012. daphne hands the application `send=partial(server.handle_reply, protocol)`;
    the close goes straight to the protocol because autobahn's `sendClose` only allows 1000
    and 3000-4999 from applications."""

    def __init__(self) -> None:
        self.protocols: set[Any] = set()
        self.draining = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.draining:
            # Shutting down: refuse (HTTP 403 at the handshake) so the client goes elsewhere.
            await receive()
            await send({"type": "websocket.close"})
            return
        if scope.get("path") != WS_PATH or not origin_allowed(scope):
            await WebsocketDenier()(scope, receive, send)
            return
        protocol = daphne_protocol(send)
        tracked = protocol is not None and hasattr(protocol, "sendCloseFrame")
        if tracked:
            self.protocols.add(protocol)
        try:
            await authenticate(scope)
            await ChatConsumer()(scope, receive, send)
        finally:
            # While draining, daphne cancels the instances: keep their protocols until closed.
            if tracked and not self.draining:
                self.protocols.discard(protocol)

    def close_all(self) -> int:
        self.draining = True
        closed = 0
        for protocol in list(self.protocols):
            if protocol.state == protocol.STATE_OPEN:
                protocol.sendCloseFrame(code=SERVICE_RESTART, isReply=False)
                closed += 1
        return closed

    def open_count(self) -> int:
        return sum(1 for p in self.protocols if p.state != p.STATE_CLOSED)

    def install_shutdown_hook(self) -> None:
        """Under daphne (its asyncio reactor is installed), run before daphne's own shutdown
        trigger, which is registered later, when the server starts."""
        if "daphne.server" not in sys.modules:
            return
        from twisted.internet import defer, task
        from twisted.internet import reactor as installed_reactor

        reactor: Any = installed_reactor  # zope interfaces confuse mypy's view of its methods

        def before_shutdown() -> defer.Deferred[None] | None:
            if not self.close_all():
                return None
            waited = 0.0
            finished: defer.Deferred[None] = defer.Deferred()

            def check() -> None:
                nonlocal waited
                if self.open_count() == 0 or waited >= CLOSE_GRACE_SECONDS:
                    loop.stop()
                    finished.callback(None)
                waited += 0.05

            loop = task.LoopingCall(check)
            loop.start(0.05, now=False)
            return finished

        reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)


# (replaces Channels' AllowedHostsOriginValidator, which compares the host only, its
# AuthMiddlewareStack, which keeps the session store and three scope copies per socket, and its
# URLRouter, one more scope copy)
websockets = GracefulWebSockets()
websockets.install_shutdown_hook()

http = BodyLimitASGI(django_asgi_app)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """HTTP through Django, WebSockets through `websockets`. (Not Channels' ProtocolTypeRouter:
    this outermost frame lives as long as the socket, and its `receive` would keep daphne's
    queue alive once `lighter` has replaced it.)"""
    if scope["type"] == "http":
        await http(scope, receive, send)
    elif scope["type"] == "websocket":
        receive = lighter(receive, send)
        await websockets(scope, receive, send)
    else:
        raise ValueError(f"no application for {scope['type']!r}")
