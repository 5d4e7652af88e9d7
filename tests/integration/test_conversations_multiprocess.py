"""Several server processes serve the same users: Redis carries the fan-out between them."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect as ws_connect

from conversations import actions
from tests.servers import Daphne
from tests.wsclient import session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]


async def open_socket(server: Daphne, user):
    cookie = await session_cookie(user)
    socket = await ws_connect(
        server.ws_url,
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": server.base},
    )
    hello = json.loads(await socket.recv())
    assert hello["type"] == "hello"
    return socket


async def next_of(socket, frame_type: str, timeout: float = 10):
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type:
                return frame


async def test_a_message_sent_through_one_process_reaches_a_socket_on_another(personas):
    conversation, _ = await sync_to_async(actions.create_conversation)(
        personas.gp, users=[personas.cardiologist]
    )
    with Daphne() as first, Daphne() as second:
        gp = await open_socket(first, personas.gp)
        cardio = await open_socket(second, personas.cardiologist)
        client_id = str(uuid.uuid4())
        await gp.send(
            json.dumps(
                {
                    "type": "message.send",
                    "conversation": str(conversation.pk),
                    "client_id": client_id,
                    "body": "Par deux processus",
                }
            )
        )
        ack = await next_of(gp, "message.ack")
        received = await next_of(cardio, "message.new")
        assert received["message"]["id"] == ack["message"]["id"]
        assert received["message"]["body"] == "Par deux processus"
        await cardio.send(
            json.dumps({"type": "read", "conversation": str(conversation.pk), "seq": 1})
        )
        receipt = await next_of(gp, "read")
        assert receipt["user"] == str(personas.cardiologist.pk)
        await gp.close()
        await cardio.close()
