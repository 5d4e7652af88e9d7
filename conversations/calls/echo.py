"""The "test my camera and network" peer: the browser sends an SDP offer, a WebRTC peer run by
the server answers, sends the user's own media back (MediaRelay loop-back) and echoes every
data-channel message, so the page shows the returned video and measures the round trip.

Each peer lives on the server's event loop for a bounded time, then closes; their number is
bounded per process and one user has one at a time (a new test replaces the previous one).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from django.conf import settings

logger = logging.getLogger(__name__)


class EchoBusy(Exception):
    """Too many network checks at once on this server process."""


def lifetime_seconds() -> float:
    return float(settings.CALL_ECHO_SECONDS)


def max_peers() -> int:
    return int(settings.CALL_ECHO_MAX_PEERS)


@dataclass
class EchoPeer:
    id: str
    owner: str
    pc: RTCPeerConnection
    timer: asyncio.TimerHandle | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


_peers: dict[str, EchoPeer] = {}


def open_count() -> int:
    return len(_peers)


async def close(peer_id: str) -> None:
    peer = _peers.pop(peer_id, None)
    if peer is None:
        return
    if peer.timer is not None:
        peer.timer.cancel()
    try:
        await peer.pc.close()
    except Exception:
        logger.exception("echo peer close failed", extra={"event": "call.echo"})


async def close_all() -> None:
    for peer_id in list(_peers):
        await close(peer_id)


def _later(peer: EchoPeer) -> None:
    task = asyncio.ensure_future(close(peer.id))
    peer.tasks.add(task)
    task.add_done_callback(peer.tasks.discard)


async def answer(owner: Any, sdp: str, kind: str) -> dict[str, Any]:
    """The server's answer to the browser's offer. Raises EchoBusy, or ValueError for a bad
    offer."""
    if "\nm=" not in sdp.replace("\r\n", "\n"):
        raise ValueError("an offer without media nor data channel")
    owner_key = str(owner)
    for previous in [p.id for p in _peers.values() if p.owner == owner_key]:
        await close(previous)
    if len(_peers) >= max_peers():
        raise EchoBusy
    ice = [RTCIceServer(urls=url) for url in settings.STUN_URLS]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=ice))
    peer = EchoPeer(id=str(uuid.uuid4()), owner=owner_key, pc=pc)
    _peers[peer.id] = peer  # counted before the awaits below, so the bound holds under load
    relay = MediaRelay()

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        pc.addTrack(relay.subscribe(track))

    @pc.on("datachannel")
    def on_datachannel(channel: RTCDataChannel) -> None:
        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            channel.send(message)

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState in ("failed", "closed"):
            await close(peer.id)

    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as exc:
        await close(peer.id)
        raise ValueError(str(exc)) from exc
    seconds = lifetime_seconds()
    peer.timer = asyncio.get_running_loop().call_later(seconds, _later, peer)
    local = pc.localDescription
    return {"sdp": local.sdp, "type": local.type, "id": peer.id, "expires_in": int(seconds)}
