"""The fan-out of an event still goes out when sync code runs in a thread with a running loop.

Seen in the browser tests: actions called by the test under Playwright's sync API (an event
loop in the test's thread) logged « fan-out failed » (async_to_sync refuses there) and the open
pages never got the frame live."""

from __future__ import annotations

import asyncio
from typing import Any

from conversations import events


def test_dispatch_from_a_thread_running_an_event_loop_still_sends(monkeypatch) -> None:
    sent: list[tuple[Any, list[str], dict[str, Any]]] = []
    layer = object()

    async def recorder(layer_: Any, user_ids: list[str], payload: dict[str, Any]) -> None:
        sent.append((layer_, user_ids, payload))

    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(events, "_group_send_all", recorder)

    async def from_the_loop() -> None:
        events._dispatch(["u-1", "u-2"], {"type": "message.new", "conversation": "c-1"}, None)

    asyncio.run(from_the_loop())
    assert len(sent) == 1
    assert sent[0][0] is layer
    assert sent[0][1] == ["u-1", "u-2"]
    assert sent[0][2]["kind"] == "message.new"


def test_dispatch_from_plain_sync_code_sends_once(monkeypatch) -> None:
    sent: list[list[str]] = []

    async def recorder(layer_: Any, user_ids: list[str], payload: dict[str, Any]) -> None:
        sent.append(user_ids)

    monkeypatch.setattr(events, "get_channel_layer", lambda: object())
    monkeypatch.setattr(events, "_group_send_all", recorder)
    events._dispatch(["u-3"], {"type": "conversation.new", "conversation": {"id": "c-2"}}, None)
    assert sent == [["u-3"]]
