"""The Redis channel layer's one-round-trip fan-out (`group_send_many`)."""

from __future__ import annotations

import asyncio
import os

import pytest

from backend.channel_layer import ResyncingPubSubChannelLayer

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis (REDIS_URL)")


async def test_one_message_reaches_every_group_and_only_them():
    layer = ResyncingPubSubChannelLayer(hosts=[{"address": REDIS_URL}])
    try:
        a, b, c = [await layer.new_channel() for _ in range(3)]
        await layer.group_add("user.a", a)
        await layer.group_add("user.b", b)
        await layer.group_add("user.c", c)
        await layer.group_send_many(
            ["user.a", "user.b", "user.nobody"], {"type": "deliver", "text": "bonjour"}
        )
        for channel in (a, b):
            received = await asyncio.wait_for(layer.receive(channel), 5)
            assert received == {"type": "deliver", "text": "bonjour"}
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(c), 0.3)
    finally:
        await layer.flush()
