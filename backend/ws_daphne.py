"""What daphne keeps for each WebSocket, made lighter from inside the application (issue #21
goal 5: memory per idle socket), with daphne itself unchanged.

- daphne gives each socket an `asyncio.Queue` of its ASGI events (`protocol.application_queue`,
  read through `receive`): four deques, 3 KB per socket while it waits for a frame. `lighter`
  swaps it for an `Inbox`, which keeps what daphne uses of it (`put_nowait`, and `get` as
  `receive`) and holds nothing while empty but the waiting future.
- The handshake's headers stay referenced for the socket's life: daphne's list (shared with
  the scope), autobahn's dict (shared with its ConnectionRequest) and the request's raw bytes.
  Once the socket is open nothing reads them again (autobahn and daphne read them while the
  handshake is processed), and `forget_handshake` empties them.

Both apply only to a socket served by daphne as it is now (its protocol has these attributes
and the application got the queue's `get`); anything else (the tests' in-process communicator,
another server) passes through untouched.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any


class Inbox:
    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: collections.deque[Any] | None = None
        self.waiter: asyncio.Future[Any] | None = None

    def put_nowait(self, item: Any) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            self.waiter = None
            waiter.set_result(item)
            return
        if self.items is None:
            self.items = collections.deque()
        self.items.append(item)

    async def get(self) -> Any:
        if self.items:
            item = self.items.popleft()
            if not self.items:
                self.items = None
            return item
        self.waiter = asyncio.get_running_loop().create_future()
        return await self.waiter


def daphne_protocol(send: Any) -> Any:
    """daphne hands the application `send=partial(server.handle_reply, protocol)`."""
    return (getattr(send, "args", None) or (None,))[0]


def lighter(receive: Any, send: Any) -> Any:
    """The socket's `receive`, from an Inbox in place of daphne's queue when it can."""
    protocol = daphne_protocol(send)
    queue = getattr(protocol, "application_queue", None)
    # (ids compared: `is` would narrow the queue's type to getattr's)
    if not isinstance(queue, asyncio.Queue) or id(getattr(receive, "__self__", None)) != id(queue):
        return receive
    inbox = Inbox()
    while not queue.empty():
        inbox.put_nowait(queue.get_nowait())
    protocol.application_queue = inbox
    return inbox.get


def forget_handshake(scope: dict[str, Any], send: Any) -> None:
    """Once the socket is open (the application accepted it)."""
    protocol = daphne_protocol(send)
    if protocol is None or getattr(protocol, "state", None) != getattr(protocol, "STATE_OPEN", ""):
        return
    headers = scope.get("headers")
    if isinstance(headers, list) and id(getattr(protocol, "clean_headers", None)) == id(headers):
        headers.clear()
    http_headers = getattr(protocol, "http_headers", None)
    if isinstance(http_headers, dict):
        http_headers.clear()
    if isinstance(getattr(protocol, "http_request_data", None), bytes):
        protocol.http_request_data = b""
    forget_upgraded_request(protocol)


def forget_upgraded_request(protocol: Any) -> None:
    """daphne hands the connection to the WebSocket protocol, but Twisted's HTTPChannel stays
    the transport's producer (it pauses reading when the send buffer is full) and keeps, in its
    `requests`, the HTTP request that asked for the upgrade: its two header maps (a list per
    header), its body buffer, its arguments. Nothing reads that request again once daphne has
    handed over the transport (it set the request's `transport` to None then); dropped here."""
    channel = getattr(getattr(protocol, "transport", None), "producer", None)
    requests = getattr(channel, "requests", None)
    if not isinstance(requests, list):
        return
    kept = [r for r in requests if getattr(r, "transport", None) is not None]
    if len(kept) != len(requests):
        requests[:] = kept
