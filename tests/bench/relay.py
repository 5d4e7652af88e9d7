"""The framework's floor: a bare Channels relay, served by daphne like the product, with no
database, no session, no validation. Its channel layer is the stock one of the product's set-up
(Channels' in-memory layer by default, channels_redis' pub/sub layer with REDIS_URL, same
configuration), not the product's subclasses: the floor is Channels', not ours.
`?me=<id>&peer=<id>`: a frame sent on the socket goes to the peer's group as `message.new`, and
the sender gets a `message.ack`. Used by the benches
only (`daphne tests.bench.relay:application`), never by the product."""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
django.setup()

from django.conf import settings  # noqa: E402

STOCK_LAYERS = {
    "backend.channel_layer.ResyncingPubSubChannelLayer": (
        "channels_redis.pubsub.RedisPubSubChannelLayer"
    ),
    "backend.channel_layer.AddressedInMemoryChannelLayer": "channels.layers.InMemoryChannelLayer",
}
for layer in settings.CHANNEL_LAYERS.values():
    backend = str(layer["BACKEND"])
    layer["BACKEND"] = STOCK_LAYERS.get(backend, backend)

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class RelayConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        query = urllib.parse.parse_qs(self.scope["query_string"].decode())
        self.me, self.peer = query["me"][0], query["peer"][0]
        await self.channel_layer.group_add(f"relay.{self.me}", self.channel_name)
        await self.accept()
        await self.send(text_data='{"type": "hello"}')

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(f"relay.{self.me}", self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = json.loads(text_data or "{}")
        message = {"body": frame.get("body"), "client_id": frame.get("client_id")}
        await self.channel_layer.group_send(
            f"relay.{self.peer}", {"type": "relay.deliver", "message": message}
        )
        ack = {"type": "message.ack", "client_id": frame.get("client_id"), "message": message}
        await self.send(text_data=json.dumps(ack))

    async def relay_deliver(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "message.new", "message": event["message"]}))


async def _healthz(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Any HTTP request: 200 (the bench's start-up wait polls /healthz)."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


application = ProtocolTypeRouter(
    {
        "http": _healthz,
        "websocket": URLRouter([path("ws/", RelayConsumer.as_asgi())]),
    }
)
