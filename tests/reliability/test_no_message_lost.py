"""No message lost or doubled across a server crash: a client sends 500 messages while the
daphne process it talks to is killed (SIGKILL) and restarted on the same port; after it
reconnects and resends its outbox (same client_ids), the conversation holds each message once,
with a gapless seq, and every message acknowledged before the crash keeps its seq."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async

from conversations import actions
from conversations.models import Message
from tests.reliability.resend_client import Outbox, deliver_all, sync_after
from tests.servers import Daphne
from tests.wsclient import session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]

TOTAL, KILL_AT = 500, 200
# The flood guard would throttle a client replaying its outbox; it is not what is tested here.
FAST = {"WS_RATE_PER_SECOND": "10000", "WS_RATE_BURST": "10000"}


@sync_to_async
def stored(conversation_id: uuid.UUID) -> list[tuple[int, str, str]]:
    return list(
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("seq")
        .values_list("seq", "client_id", "body")
    )


async def test_500_messages_survive_a_server_kill_each_stored_once_in_order(personas):
    conversation, _ = await sync_to_async(actions.create_conversation)(
        personas.gp, users=[personas.cardiologist]
    )
    conversation_id = str(conversation.pk)
    cookie = await session_cookie(personas.gp)
    sent = [(f"rel-{i:04d}-{uuid.uuid4().hex[:12]}", f"message n°{i}") for i in range(TOTAL)]
    outbox = Outbox(conversation_id)
    for client_id, body in sent:
        outbox.add(client_id, body)

    server = Daphne(None, **FAST).start()
    port = server.port
    kill_now = asyncio.Event()
    outbox.on_ack = lambda acked: kill_now.set() if acked >= KILL_AT else None
    acked_before_kill: dict[str, int] = {}
    cursor_at_kill: list[int] = []

    async def crash_and_restart() -> Daphne:
        await kill_now.wait()
        await asyncio.to_thread(server.kill)  # SIGKILL: no graceful close, in-flight frames lost
        acked_before_kill.update({c: seqs[0] for c, seqs in outbox.acks.items()})
        cursor_at_kill.append(outbox.last_seq)
        await asyncio.sleep(1.0)  # the operator's restart delay
        return await asyncio.to_thread(Daphne(port=port, **FAST).start)

    restart = asyncio.create_task(crash_and_restart())
    restarted: Daphne | None = None
    try:
        socket = await asyncio.wait_for(
            deliver_all(server.ws_url, server.base, cookie, outbox), timeout=120
        )
        restarted = await asyncio.wait_for(restart, timeout=60)
        # Catch up from the last contiguous seq seen before the crash, like the web client.
        caught_up = await sync_after(socket, conversation_id, cursor_at_kill[0])
        await socket.close()
    finally:
        if not restart.done():
            restart.cancel()
        server.kill()
        if restarted is not None:
            restarted.kill()

    assert outbox.connections >= 2, "the server was killed: the client had to reconnect"
    assert KILL_AT <= len(acked_before_kill) < TOTAL
    assert not outbox.pending and not [e for e in outbox.errors if e["code"] == "server_error"]

    rows = await stored(conversation.pk)
    assert [seq for seq, _, _ in rows] == list(range(1, TOTAL + 1)), "seq is gapless 1..500"
    client_ids = [client_id for _, client_id, _ in rows]
    assert sorted(client_ids) == sorted(c for c, _ in sent), "each message stored exactly once"
    bodies = dict(sent)
    assert all(bodies[client_id] == body for _, client_id, body in rows)
    # An acknowledged message keeps its seq, and a resend is acked with the stored seq.
    by_client = {client_id: seq for seq, client_id, _ in rows}
    assert {c: by_client[c] for c in acked_before_kill} == acked_before_kill
    assert all(set(seqs) == {by_client[c]} for c, seqs in outbox.acks.items())
    # Order: what was acked before the crash is in send order, and so is what was first sent
    # after it; only the few in flight at the crash may move.
    order = {client_id: i for i, (client_id, _) in enumerate(sent)}
    before = [c for c in client_ids if c in acked_before_kill]
    assert before == sorted(before, key=order.__getitem__)
    assert [seq for seq in sorted(acked_before_kill.values())] == list(
        range(1, len(acked_before_kill) + 1)
    )
    last_in_flight = max(order[c] for c in acked_before_kill) + 16
    after = [c for c in client_ids if order[c] > last_in_flight]
    assert after == sorted(after, key=order.__getitem__)
    # The catch-up sync from the cursor held at the crash returns the rest of the history.
    assert cursor_at_kill[0] >= KILL_AT
    assert [(m["seq"], m["client_id"]) for m in caught_up] == [
        (seq, client_id) for seq, client_id, _ in rows[cursor_at_kill[0] :]
    ]
