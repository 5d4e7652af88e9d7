"""Real WebRTC peers (aiortc) in place of two browsers: the call goes through the real /ws/
signaling on two daphne processes joined by Redis; and the camera and network check answers a
peer with its own video and echoes its data-channel pings."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.sdp import candidate_from_sdp
from asgiref.sync import sync_to_async
from av import VideoFrame
from django.test import AsyncClient
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from conversations import actions
from conversations.calls import echo
from conversations.models import Call, Conversation, Message
from tests.servers import Daphne
from tests.wsclient import session_cookie

TIMEOUT = 20


def no_ice_servers() -> RTCConfiguration:
    return RTCConfiguration(iceServers=[])  # host candidates only: no network beyond this machine


def without_candidates(sdp: str) -> str:
    """The SDP minus its candidates: they travel as separate `call.signal` frames (trickle)."""
    kept = [
        line
        for line in sdp.splitlines()
        if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    ]
    return "\r\n".join(kept) + "\r\n"


def candidates_of(sdp: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    index, mid = -1, None
    for line in sdp.splitlines():
        if line.startswith("m="):
            index, mid = index + 1, None
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:") :]
        elif line.startswith("a=candidate:"):
            found.append({"candidate": line[2:], "sdpMid": mid, "sdpMLineIndex": index})
    return found


class BrowserPeer:
    """What the web client does with the signaling frames: an RTCPeerConnection fed by
    `call.signal` {sdp} and {candidate}, other call frames kept for the test to look at."""

    def __init__(self, socket: ClientConnection, call_id: str, remote_user: str) -> None:
        self.socket, self.call_id, self.remote_user = socket, call_id, remote_user
        self.pc = RTCPeerConnection(no_ice_servers())
        self.pc.addTrack(VideoStreamTrack())
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.remote_video: asyncio.Future[MediaStreamTrack] = asyncio.Future()
        self.remote_channel: asyncio.Future[RTCDataChannel] = asyncio.Future()
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self.remote_channel.set_result)
        self.reader = asyncio.create_task(self._read())

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video" and not self.remote_video.done():
            self.remote_video.set_result(track)

    async def signal(self, data: dict[str, Any]) -> None:
        frame = {"type": "call.signal", "call": self.call_id, "to": self.remote_user, "data": data}
        await self.socket.send(json.dumps(frame))

    async def send_description(self) -> None:
        local = self.pc.localDescription
        await self.signal({"sdp": {"type": local.type, "sdp": without_candidates(local.sdp)}})
        for candidate in candidates_of(local.sdp):
            await self.signal({"candidate": candidate})
        await self.signal({"candidate": None})

    async def offer(self) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send_description()

    async def _read(self) -> None:
        async for raw in self.socket:
            frame = json.loads(raw)
            if frame["type"] != "call.signal":
                await self.frames.put(frame)
                continue
            assert frame["call"] == self.call_id and frame["from"] == self.remote_user
            data = frame["data"]
            if "sdp" in data:
                await self.pc.setRemoteDescription(RTCSessionDescription(**data["sdp"]))
                if data["sdp"]["type"] == "offer":
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self.send_description()
            elif data.get("candidate") is None:
                await self.pc.addIceCandidate(None)
            else:
                candidate = candidate_from_sdp(data["candidate"]["candidate"])
                candidate.sdpMid = data["candidate"]["sdpMid"]
                candidate.sdpMLineIndex = data["candidate"]["sdpMLineIndex"]
                await self.pc.addIceCandidate(candidate)

    async def next_frame(self, frame_type: str) -> dict[str, Any]:
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = await self.frames.get()
                if frame["type"] == frame_type:
                    return frame

    async def close(self) -> None:
        self.reader.cancel()
        await self.pc.close()
        await self.socket.close()


async def open_socket(server: Daphne, user: Any) -> ClientConnection:
    cookie = await session_cookie(user)
    socket = await ws_connect(
        server.ws_url,
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": server.base},
    )
    assert json.loads(await socket.recv())["type"] == "hello"
    return socket


async def next_of(socket: ClientConnection, frame_type: str) -> dict[str, Any]:
    async with asyncio.timeout(TIMEOUT):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type:
                return frame
            assert frame["type"] != "error", frame


@sync_to_async
def open_conversation(creator: Any, other: Any) -> Conversation:
    conversation, _ = actions.create_conversation(creator, users=[other])
    return conversation


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_two_webrtc_peers_call_each_other_through_the_real_signaling(personas):
    gp_user, cardio_user = personas.gp, personas.cardiologist
    conversation = await open_conversation(gp_user, cardio_user)
    # Eager: nothing is queued on the shared Redis; the lazy expiry covers missed calls here.
    with (
        Daphne(CELERY_TASK_ALWAYS_EAGER="true") as first,
        Daphne(CELERY_TASK_ALWAYS_EAGER="true") as second,
    ):
        gp_socket = await open_socket(first, gp_user)
        cardio_socket = await open_socket(second, cardio_user)
        await gp_socket.send(
            json.dumps({"type": "call.invite", "conversation": str(conversation.pk), "ref": "1"})
        )
        call_id = (await next_of(gp_socket, "call.ringing"))["call"]["id"]
        ring = await next_of(cardio_socket, "call.invite")
        assert ring["call"]["id"] == call_id and ring["from"] == str(gp_user.pk)
        await cardio_socket.send(json.dumps({"type": "call.accept", "call": call_id}))
        joined = (await next_of(cardio_socket, "call.accept"))["call"]["joined"]
        assert joined == [str(gp_user.pk), str(cardio_user.pk)]
        assert (await next_of(gp_socket, "call.accept"))["user"] == str(cardio_user.pk)

        gp = BrowserPeer(gp_socket, call_id, str(cardio_user.pk))
        cardio = BrowserPeer(cardio_socket, call_id, str(gp_user.pk))
        # The newcomer offers to everyone already in the call.
        chat = cardio.pc.createDataChannel("chat")
        opened = asyncio.Event()
        replies: asyncio.Queue[str] = asyncio.Queue()
        chat.on("open", opened.set)
        chat.on("message", replies.put_nowait)
        await cardio.offer()

        async with asyncio.timeout(TIMEOUT):
            video = await gp.remote_video
            frame = await video.recv()
            assert isinstance(frame, VideoFrame) and frame.width > 0 and frame.height > 0
            channel = await gp.remote_channel
            channel.on("message", lambda message: channel.send(f"pong {message}"))
            await opened.wait()
            sent_at = time.monotonic()
            chat.send("ping 1")
            assert await replies.get() == "pong ping 1"
            assert time.monotonic() - sent_at < TIMEOUT
            assert (await cardio.remote_video).kind == "video"

        await gp_socket.send(json.dumps({"type": "call.hangup", "call": call_id}))
        assert (await cardio.next_frame("call.hangup"))["user"] == str(gp_user.pk)
        ended = (await cardio.next_frame("call.ended"))["call"]
        assert ended["state"] == "ended" and ended["duration_seconds"] is not None
        await gp.close()
        await cardio.close()

    call = await sync_to_async(Call.objects.get)(pk=call_id)
    assert call.state == Call.State.ENDED and call.answered_at and call.ended_at
    log = await sync_to_async(lambda: list(call.participants.values_list("user_id", "left_at")))()
    assert {user for user, _ in log} == {gp_user.pk, cardio_user.pk}
    assert all(left_at is not None for _, left_at in log)
    bodies = await sync_to_async(
        lambda: list(
            Message.objects.filter(conversation=conversation, kind="system").values_list(
                "body", flat=True
            )
        )
    )()
    assert bodies == ["Appel vidéo — moins d'une minute"]


async def post_offer(client: AsyncClient, pc: RTCPeerConnection) -> Any:
    await pc.setLocalDescription(await pc.createOffer())
    offer = {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}
    return await client.post("/api/calls/echo", offer, content_type="application/json")


@pytest.mark.django_db(transaction=True)
async def test_the_network_check_returns_my_own_video_and_echoes_my_pings(personas, settings):
    settings.CALL_ECHO_SECONDS = 2
    client = AsyncClient()
    await client.aforce_login(personas.gp)
    pc = RTCPeerConnection(no_ice_servers())
    pc.addTrack(VideoStreamTrack())
    returned: asyncio.Future[MediaStreamTrack] = asyncio.Future()

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if track.kind == "video":
            returned.set_result(track)

    pings = pc.createDataChannel("ping")
    opened = asyncio.Event()
    echoes: asyncio.Queue[str] = asyncio.Queue()
    pings.on("open", opened.set)
    pings.on("message", echoes.put_nowait)
    answer = await post_offer(client, pc)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["type"] == "answer" and body["expires_in"] == 2
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type=body["type"]))
    try:
        async with asyncio.timeout(TIMEOUT):
            frame = await (await returned).recv()
            assert isinstance(frame, VideoFrame) and frame.width > 0
            await opened.wait()
            pings.send("ping 42")
            assert await echoes.get() == "ping 42"
            # The server closes its peer after the bounded time.
            while echo.open_count():
                await asyncio.sleep(0.1)
    finally:
        await pc.close()
        await echo.close_all()


@pytest.mark.django_db(transaction=True)
async def test_the_network_check_is_refused_when_too_many_run_or_to_non_clinicians(
    personas, settings
):
    offer = {"sdp": "v=0\r\n", "type": "offer"}
    anonymous = await AsyncClient().post("/api/calls/echo", offer, content_type="application/json")
    assert anonymous.status_code == 401
    billing = AsyncClient()
    await billing.aforce_login(personas.billing)
    refused = await billing.post("/api/calls/echo", offer, content_type="application/json")
    assert refused.status_code == 403
    gp = AsyncClient()
    await gp.aforce_login(personas.gp)
    bad = await gp.post("/api/calls/echo", offer, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    settings.CALL_ECHO_MAX_PEERS = 0
    pc = RTCPeerConnection(no_ice_servers())
    pc.createDataChannel("ping")
    try:
        busy = await post_offer(gp, pc)
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "echo_busy"
    finally:
        await pc.close()
    assert echo.open_count() == 0
