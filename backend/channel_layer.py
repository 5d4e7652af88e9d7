"""The channel layers: addressed for the process hub (conversations/hub.py), and the Redis pub/sub
one told when its subscription comes back.

Addressing: a group message reaches the hub with its group's name (`GROUP_KEY`: added by the
receiving process from the Redis channel it came by, or by the in-memory layer's group_send),
and a `send` to a socket's channel name (`<hub channel>#<n>`) goes to its process's hub channel
with that name (`SOCKET_KEY`), so the hub hands each message to the right local sockets.

Resync:

Redis pub/sub keeps nothing for a subscriber that is away: when Redis restarts (or the
connection drops), what is published until channels_redis' receive loop has reconnected and
re-subscribed reaches no one in this process. The database stays the source of truth and the
clients catch up by `seq` (`sync`); what they lack is knowing that they missed something.

redis-py calls a pub/sub connection's connect callbacks at every reconnection, after its own
callback has re-sent the SUBSCRIBE commands; ours then puts a `layer.reconnected` event straight
into the local queue of every socket that asked for it (`watch`), without a trip through Redis.
The chat consumer answers with a `resync` frame, and the client syncs from its cursors: a message
published in the gap was committed before it was published, so before the sync reads."""

from __future__ import annotations

import logging
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisSingleShardConnection

__all__ = [
    "GROUP_KEY",
    "RECONNECTED",
    "SOCKET_KEY",
    "SOCKET_MARK",
    "AddressedInMemoryChannelLayer",
    "ResyncingPubSubChannelLayer",
    "hub",
    "unwatch",
    "watch",
]

logger = logging.getLogger(__name__)
RECONNECTED = "layer.reconnected"
_watchers: set[str] = set()  # channel names of this process's sockets that want the event
_hubs: set[str] = set()  # channel names of this process's hubs (conversations/hub.py)
GROUP_KEY = "__group__"
SOCKET_KEY = "__socket__"
SOCKET_MARK = "#"


def _addressed(channel: str, message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    hub, mark, _ = channel.rpartition(SOCKET_MARK)
    if not mark:
        return channel, message
    return hub, {**message, SOCKET_KEY: channel}


class AddressedInMemoryChannelLayer(InMemoryChannelLayer):
    """The in-memory layer (embedded mode, tests), addressed for the hub."""

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await super().send(*_addressed(channel, message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await super().group_send(group, {**message, GROUP_KEY: group})


def hub(channel_name: str) -> None:
    """This channel is a hub's: its group messages come with their group's name."""
    _hubs.add(channel_name)


def watch(channel_name: str) -> None:
    _watchers.add(channel_name)


def unwatch(channel_name: str) -> None:
    _watchers.discard(channel_name)


class _Shard(RedisSingleShardConnection):
    _watched: Any = None  # the pub/sub connection our callback is registered on

    async def publish_many(self, channels: list[str], message: bytes) -> None:
        """One message to several channels in one round trip (a pipeline, no transaction)."""
        async with self._lock:
            self._ensure_redis()
            async with self._redis.pipeline(transaction=False) as pipe:
                for channel in channels:
                    pipe.publish(channel, message)
                await pipe.execute()

    async def subscribe(self, channel: str) -> None:
        await super().subscribe(channel)
        # The connection exists once a first SUBSCRIBE went through (and again after a flush):
        # registering now leaves out that first connect, when nothing can have been missed.
        connection = self._pubsub.connection if self._pubsub is not None else None
        if connection is not None and connection is not self._watched:
            connection.register_connect_callback(self._reconnected)
            self._watched = connection

    def _receive_message(self, message: Any) -> None:
        """As channels_redis', but a group message goes to a hub's channel (conversations/hub.py)
        with the group's name: the hub hands it to that group's sockets. The name is read from
        the Redis channel the message came by, so that every sender's message (a
        `group_send_many` to several groups included) is addressed."""
        if message is None:
            return
        layer = self.channel_layer
        name = message["channel"]
        if isinstance(name, bytes):
            name = name.decode()
        if name in layer.channels:
            layer.channels[name].put_nowait(message["data"])
        elif name in layer.groups:
            group = name.removeprefix(layer._get_group_channel_name(""))
            for channel in layer.groups[name]:
                if channel in layer.channels:
                    addressed = (group, message["data"]) if channel in _hubs else message["data"]
                    layer.channels[channel].put_nowait(addressed)

    async def _reconnected(self, connection: Any) -> None:
        layer = self.channel_layer
        event = layer.channel_layer.serialize({"type": RECONNECTED})
        told = 0
        for name in list(_watchers):
            queue = layer.channels.get(name)
            if queue is not None:
                queue.put_nowait(event)
                told += 1
        logger.warning(
            "channel layer re-subscribed after a lost connection: sockets told to resync",
            extra={"event": "channel_layer.reconnected", "sockets": told},
        )


class ResyncingPubSubChannelLayer(RedisPubSubChannelLayer):
    # (RedisPubSubChannelLayer proxies its methods to the layer of the running event loop)
    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._get_layer().send(*_addressed(channel, message))

    async def group_send_many(self, groups: list[str], message: dict[str, Any]) -> None:
        """`group_send` of one message to several groups: serialised once, and one pipelined
        round trip per shard instead of one PUBLISH each, under the shard's lock (issue #21:
        a message to a group of 10 was 10 PUBLISH, awaited one after the other)."""
        layer = self._get_layer()
        data = layer.channel_layer.serialize(message)
        by_shard: dict[Any, list[str]] = {}
        for group in groups:
            name = layer._get_group_channel_name(group)
            by_shard.setdefault(layer._get_shard(name), []).append(name)
        for shard, names in by_shard.items():
            await shard.publish_many(names, data)

    def deserialize(self, message: Any) -> dict[str, Any]:
        """A group message comes with its group's name from `_Shard._receive_message`."""
        if isinstance(message, tuple):
            group, data = message
            return {**super().deserialize(data), GROUP_KEY: group}
        return dict(super().deserialize(message))

    def _get_layer(self) -> Any:
        layer = super()._get_layer()  # one per event loop, made on first use
        if not getattr(layer, "resyncing", False):
            layer._shards = [_Shard(shard.host, layer) for shard in layer._shards]
            layer.resyncing = True
        return layer
