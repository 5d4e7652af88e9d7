"""A plain `message.send` sent from the event loop on PostgreSQL (`conversations.async_send`):
the same answers, rows and deliveries as the worker-thread path, which still answers whatever
the event loop leaves to it (the session over, a resend, the first send of a process)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from backend.accounts import sessions
from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from conversations import actions, ws_dispatch
from conversations.models import Message, ReadState
from tests.integration.test_sessions_end import assert_ended, browser_for, open_tab
from tests.integration.test_team_mailbox_access import ORG_MAILBOX
from tests.wsclient import connect

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the send from the event loop is PostgreSQL's"
    ),
]


@sync_to_async
def conversation_of(creator: Any, *others: Any, mailboxes: Any = ()) -> Any:
    conversation, _ = actions.create_conversation(
        creator, users=list(others), mailboxes=list(mailboxes), title="Boucle"
    )
    return conversation


def no_thread_path(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records every send that went to the worker-thread path instead."""
    calls: list[Any] = []
    thread_path = ws_dispatch.send_message

    async def recorded(*args: Any) -> Any:
        calls.append(args)
        return await thread_path(*args)

    monkeypatch.setattr(ws_dispatch, "send_message", recorded)
    return calls


async def sent_from_the_event_loop(
    sender: Any, receiver: Any, conversation: Any, body: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """After a first send (which warms this process's caches), `body` is stored and delivered
    without the worker-thread path."""
    await sender.send_message(conversation.pk, "premier")
    await receiver.expect("message.new")
    calls = no_thread_path(monkeypatch)
    sent = await sender.send_message(conversation.pk, body)
    received = await receiver.expect("message.new")
    assert calls == []
    assert received["message"]["id"] == sent["id"]
    return sent


async def test_after_the_first_send_a_plain_message_goes_from_the_event_loop(personas, monkeypatch):
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    sent = await sent_from_the_event_loop(gp, cardio, conversation, "depuis la boucle", monkeypatch)
    calls = no_thread_path(monkeypatch)
    assert (sent["seq"], sent["body"]) == (2, "depuis la boucle")
    assert sent["sender"]["id"] == str(personas.gp.pk)

    @sync_to_async
    def rows() -> tuple[Any, ...]:
        message = Message.objects.get(pk=sent["id"])
        event = AuditEvent.objects.get(verb="message.sent", data__message=sent["id"])
        read = ReadState.objects.get(conversation=conversation, user=personas.gp)
        return message.seq, message.body, event.actor_id, read.last_read_seq

    assert await rows() == (2, "depuis la boucle", personas.gp.pk, 2)
    # A resend of it: the thread path answers with the stored message, nothing new is stored.
    again = await gp.send_message(conversation.pk, "depuis la boucle", client_id=sent["client_id"])
    assert again["id"] == sent["id"] and len(calls) == 1
    count = await sync_to_async(Message.objects.filter(conversation=conversation).count)()
    assert count == 2
    await gp.close()
    await cardio.close()


async def test_a_session_ended_unnoticed_stops_the_send_from_the_event_loop(personas, monkeypatch):
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    browser = await browser_for("dr.martin")
    tab = await open_tab(browser)

    async def send(body: str) -> None:
        frame = {
            "type": "message.send",
            "conversation": str(conversation.pk),
            "client_id": str(uuid.uuid4()),
            "body": body,
        }
        await tab.send_to(text_data=json.dumps(frame))

    await send("avant")  # warms the caches
    while json.loads((await tab.receive_output(5))["text"])["type"] != "message.ack":
        pass
    monkeypatch.setattr(sessions, "_close_sockets", lambda *a, **k: None)
    assert (await sync_to_async(browser.post)("/api/auth/logout")).status_code == 204
    await send("après la fin de session")
    await assert_ended(tab, sessions.ENDED)
    stored = await sync_to_async(
        lambda: list(Message.objects.filter(conversation=conversation).values_list("body"))
    )()
    assert stored == [("avant",)]


async def test_a_team_member_writes_from_the_event_loop_for_the_team(personas, monkeypatch):
    team = await sync_to_async(Mailbox.objects.get)(address=ORG_MAILBOX[0])
    conversation = await conversation_of(personas.gp, personas.cardiologist, mailboxes=[team])
    secretary, gp = await connect(personas.secretary), await connect(personas.gp)
    text = "Reçu, le service rappelle"
    sent = await sent_from_the_event_loop(secretary, gp, conversation, text, monkeypatch)
    assert sent["team"] is not None
    await secretary.close()
    await gp.close()


async def test_a_body_over_the_limit_is_refused_by_the_event_loop_too(
    personas, monkeypatch, settings
):
    settings.MESSAGE_MAX_CHARS = 100
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    await sent_from_the_event_loop(gp, cardio, conversation, "court", monkeypatch)
    client_id = str(uuid.uuid4())
    frame = {"type": "message.send", "conversation": str(conversation.pk), "client_id": client_id}
    await gp.send({**frame, "body": "x" * 101, "ref": "big"})
    error = await gp.expect("error")
    assert (error["code"], error["ref"]) == ("body_too_long", "big")
    stored = await sync_to_async(Message.objects.filter(client_id=client_id).exists)()
    assert not stored
    await gp.close()
    await cardio.close()


async def test_an_urgent_message_or_a_reply_keeps_what_it_is(personas, monkeypatch):
    """Only text goes from the event loop (its one statement stores nothing else): an urgent
    message and a reply, after a first send, go to the thread path and are stored as such."""
    conversation = await conversation_of(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    first = await sent_from_the_event_loop(gp, cardio, conversation, "premier", monkeypatch)
    calls = no_thread_path(monkeypatch)
    base = {"type": "message.send", "conversation": str(conversation.pk)}
    await gp.send({**base, "client_id": "urgent-0001", "body": "Rappelez-moi", "urgent": True})
    urgent = (await gp.expect("message.ack", client_id="urgent-0001"))["message"]
    await gp.send({**base, "client_id": "reply-0001", "body": "Oui", "reply_to": first["id"]})
    reply = (await gp.expect("message.ack", client_id="reply-0001"))["message"]
    assert len(calls) == 2
    assert urgent["urgent"] is True and reply["reply_to"]["id"] == first["id"]

    @sync_to_async
    def rows() -> tuple[Any, ...]:
        stored_urgent = Message.objects.get(pk=urgent["id"])
        stored_reply = Message.objects.get(pk=reply["id"])
        return stored_urgent.urgent, str(stored_reply.reply_to_id)

    assert await rows() == (True, first["id"])
    await gp.close()
    await cardio.close()
