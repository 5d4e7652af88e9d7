"""A signed-in WebSocket client for tests, talking to the real ASGI application and channel
layer (Redis when REDIS_URL is set)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from backend.asgi import application
from conversations import frames

TIMEOUT = 5


@sync_to_async
def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class Socket:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.comm = communicator
        self.seen: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any] | str) -> None:
        if isinstance(frame, str):
            await self.comm.send_to(text_data=frame)
        else:
            await self.comm.send_json_to(frame)

    async def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        text = await self.comm.receive_from(timeout=timeout)
        # A real server sends text frames as UTF-8 (daphne fails on text that has none).
        text.encode("utf-8")
        frame = json.loads(text)
        # Every frame any test sees matches its declaration in the registry.
        assert frames.check(frame) == [], (frame, frames.check(frame))
        self.seen.append(frame)
        return frame

    async def expect(
        self, frame_type: str, timeout: float = TIMEOUT, **match: Any
    ) -> dict[str, Any]:
        """The next frame of this type (and fields), skipping presence and typing chatter."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {frame_type} frame {match} within {timeout}s")
            frame = await self.receive(remaining)
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return frame
            if frame_type != "error" and frame["type"] == "error":
                raise AssertionError(f"unexpected error frame {frame}")

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.comm.receive_nothing(timeout=timeout)

    async def frames_within(self, timeout: float = 0.5) -> list[dict[str, Any]]:
        frames = []
        while not await self.comm.receive_nothing(timeout=timeout):
            frames.append(await self.receive())
        return frames

    async def send_message(
        self, conversation: Any, body: str, client_id: str | None = None
    ) -> dict[str, Any]:
        client_id = client_id or str(uuid.uuid4())
        await self.send(
            {
                "type": "message.send",
                "conversation": str(conversation),
                "client_id": client_id,
                "body": body,
                "ref": client_id[:8],
            }
        )
        ack = await self.expect("message.ack", client_id=client_id)
        return ack["message"]

    async def close(self) -> None:
        await self.comm.disconnect()


async def connect(user: Any | None, origin: bytes = b"http://testserver") -> Socket:
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await session_cookie(user)}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    if not connected:
        raise ConnectionRefusedError("socket refused")
    socket = Socket(communicator)
    hello = await socket.receive()
    assert hello["type"] == "hello", hello
    return socket
