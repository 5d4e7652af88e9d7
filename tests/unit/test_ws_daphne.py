"""backend.ws_daphne: the lighter per-socket queue in place of daphne's, and the handshake's
headers forgotten once the socket is authenticated."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from backend.ws_daphne import Inbox, forget_handshake, lighter


class FakeProtocol:
    STATE_OPEN = 3

    def __init__(self) -> None:
        self.application_queue: Any = asyncio.Queue()
        self.clean_headers = [(b"origin", b"http://testserver")]
        self.http_headers = {"origin": "http://testserver"}
        self.http_request_data = b"GET /ws/ HTTP/1.1\r\n"
        self.state = self.STATE_OPEN
        self.transport: Any = None

    def handle_reply(self, message: Any) -> None: ...


async def test_the_inbox_hands_events_in_order_whether_put_before_or_while_waiting():
    inbox = Inbox()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert [await inbox.get(), await inbox.get()] == [1, 2]
    assert inbox.items is None  # nothing kept while empty
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait(3)
    inbox.put_nowait(4)
    assert await waiting == 3
    assert await inbox.get() == 4


async def test_an_event_put_after_a_cancelled_get_waits_for_the_next():
    inbox = Inbox()
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    inbox.put_nowait("disconnect")
    assert await inbox.get() == "disconnect"


async def test_lighter_takes_the_place_of_daphnes_queue_with_what_it_held():
    protocol = FakeProtocol()
    queue = protocol.application_queue
    queue.put_nowait({"type": "websocket.connect"})
    send = functools.partial(lambda protocol, message: None, protocol)
    receive = lighter(queue.get, send)
    assert isinstance(protocol.application_queue, Inbox)
    protocol.application_queue.put_nowait({"type": "websocket.receive"})
    assert (await receive())["type"] == "websocket.connect"
    assert (await receive())["type"] == "websocket.receive"


async def test_anything_but_daphne_passes_through_untouched():
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def send(message: Any) -> None: ...

    assert lighter(queue.get, send) == queue.get
    scope = {"headers": [(b"origin", b"x")]}
    forget_handshake(scope, send)
    assert scope["headers"] == [(b"origin", b"x")]


def test_the_handshake_is_forgotten_once_the_socket_is_open():
    protocol = FakeProtocol()
    protocol.state = 1  # still connecting
    scope = {"headers": protocol.clean_headers}
    send = functools.partial(lambda protocol, message: None, protocol)
    forget_handshake(scope, send)
    assert scope["headers"] and protocol.http_headers and protocol.http_request_data
    protocol.state = protocol.STATE_OPEN
    forget_handshake(scope, send)
    assert scope["headers"] == [] and protocol.clean_headers == []
    assert protocol.http_headers == {} and protocol.http_request_data == b""


def test_the_upgraded_http_request_is_let_go_once_the_socket_is_open():
    """Twisted's HTTPChannel stays the transport's producer after daphne's upgrade; the request
    daphne handed over (its transport set to None) leaves its `requests`, any other stays."""
    from twisted.internet.testing import StringTransport
    from twisted.web.http import HTTPChannel, Request

    channel = HTTPChannel()
    channel.makeConnection(StringTransport())
    upgraded = Request(channel)
    upgraded.requestHeaders.addRawHeader(b"cookie", b"sessionid=abc")
    upgraded.transport = None  # as daphne leaves it after handing the transport over
    other = Request(channel)
    other.transport = channel.transport
    channel.requests = [upgraded, other]
    protocol = FakeProtocol()
    protocol.transport = type("Transport", (), {"producer": channel})()
    protocol.state = 1  # still connecting: nothing is let go yet
    send = functools.partial(lambda protocol, message: None, protocol)
    forget_handshake({"headers": protocol.clean_headers}, send)
    assert channel.requests == [upgraded, other]
    protocol.state = protocol.STATE_OPEN
    forget_handshake({"headers": protocol.clean_headers}, send)
    assert channel.requests == [other]


def test_a_transport_without_an_http_channel_is_left_alone():
    protocol = FakeProtocol()
    protocol.transport = type("Transport", (), {"producer": None})()
    send = functools.partial(lambda protocol, message: None, protocol)
    forget_handshake({"headers": protocol.clean_headers}, send)
    assert protocol.http_headers == {}
