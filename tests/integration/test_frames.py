"""Every action emits exactly the frames it declares, each matching the registry (Zulip's
test_events.py, in small): run the action, collect what reaches the channel layer after commit,
compare the frame types in order, and check each frame against `conversations.frames`.

The consumer's own frames (hello, pong, presence, typing, sync, error, acks, call.ringing,
call.signal) are checked by the WebSocket tests: `tests.wsclient.Socket` checks every frame it
receives against the registry."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from backend.accounts.models import Mailbox
from backend.mssante.inbox import followup
from backend.mssante.inbox.actions import store_fetched
from backend.mssante.inbox.samples import plain_mail
from backend.mssante.models import TrustedDomain
from conversations import actions, events, forwarding, frames, presence, urgent
from conversations.calls import actions as calls
from conversations.calls.lifecycle import expire_if_unanswered
from conversations.calls.serializers import WsCallDecline, WsCallInvite, WsCallRef, WsCallSignal
from conversations.consumers import HANDLERS
from conversations.groups import actions as groups
from conversations.groups.preferences import set_preferences
from conversations.message_options import SendOptions
from conversations.models import Message
from conversations.serializers import (
    WsMessageAcknowledge,
    WsMessageDelete,
    WsMessageEdit,
    WsMessageSend,
    WsPresenceQuery,
    WsPresenceSet,
    WsRead,
    WsSync,
    WsTyping,
)
from conversations.syntheses.actions import request_synthesis, send_export
from conversations.syntheses.rendering import render_export
from teleexpertise import actions as te
from tests.integration.test_teleexpertise_factories import (
    REPORT,
    ensure_tariffs,
    lefebvre,
    new_request,
)
from tests.support.mssante import eager_tasks

pytestmark = pytest.mark.django_db

# Emitted by the consumer itself (not by an action): covered through tests.wsclient.
CONSUMER_FRAMES = {
    "hello",
    "message.ack",
    "typing",
    "presence",
    "presence.state",
    "pong",
    "sync",
    "error",
    "session.ended",
    "call.ringing",
    "call.signal",
    "resync",  # when the channel layer re-subscribes: tests/reliability/test_redis_restart.py
}
# What each action emits, in order (a recipient's copy counts once per recipient group sent).
DECLARED = {
    "create_conversation": ["conversation.new", "conversation.new"],  # one per participant
    # Group changes: the system message, then the conversation as each one sees it (new for
    # those who start seeing it, updated for the others, removed for those who stop).
    "add_participant": [
        "message.new",
        "conversation.new",
        "conversation.updated",
        "conversation.updated",
    ],
    "remove_participant": [
        "message.new",
        "conversation.updated",
        "conversation.updated",
        "conversation.removed",
    ],
    "rename": ["message.new", "conversation.updated", "conversation.updated"],
    "set_patient": ["message.new", "conversation.updated", "conversation.updated"],
    # Per user: that user's other devices only, no system message.
    "set_preferences": ["conversation.updated"],
    "send_message": ["message.new"],
    "post_system_message": ["message.new"],
    "edit_message": ["message.updated"],
    "delete_message": ["message.updated"],
    "mark_read": ["read"],
    "urgent.acknowledge_message": ["message.acknowledged"],
    "urgent.remind": ["message.reminder"],
    "forwarding.forward_to_conversation": ["message.new"],
    "forwarding.forward_by_mssante": ["message.new"],  # the system message in the conversation
    "calls.invite": ["call.invite"],
    "calls.invite (nobody reachable)": ["call.ended", "message.new"],
    "calls.accept": ["call.accept", "call.answered_elsewhere"],
    "calls.hangup": ["call.hangup", "call.ended", "message.new"],
    "calls.decline": ["call.decline", "call.ended", "message.new"],
    "calls.expire_if_unanswered": ["call.ended", "message.new"],
    "calls.leave_calls_of_channel": ["call.hangup", "call.ended", "message.new"],
    "syntheses.request_synthesis": ["export.updated"],  # running, progress..., done (eager)
    # The request's conversation (one copy per party), its opening message and the question.
    "te.create_request": [
        "conversation.new",
        "conversation.new",
        "message.new",
        "message.new",
        "teleexpertise.updated",
    ],
    "te.accept_request": ["message.new", "teleexpertise.updated"],
    "te.write_report": ["message.new", "teleexpertise.updated"],
    "te.file_request": ["message.new", "teleexpertise.updated"],
    "te.take_request": ["message.new", "teleexpertise.updated"],
    "te.decline_request": ["message.new", "teleexpertise.updated"],
    "te.close_request": ["message.new", "teleexpertise.updated"],
    "te.withdraw_consent": ["message.new", "teleexpertise.updated"],
    "te.flag_overdue": ["message.new", "teleexpertise.updated"],
    # The conversation keeps a trace of the sending (a system message).
    "syntheses.send_export": ["message.new"],
    # The follow-up of a stored MSSanté mail tells the mailbox's readers (ids only).
    "mssante.inbox.process": ["mssante.inbox"],
}


@pytest.fixture
def emitted(monkeypatch, django_capture_on_commit_callbacks):
    """Run a callable; return the frames it sent after commit, each checked."""

    def run(action: Any) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        monkeypatch.setattr(events, "_dispatch", lambda users, frame, origin: sent.append(frame))
        with django_capture_on_commit_callbacks(execute=True):
            action()
        for frame in sent:
            assert frames.check(frame) == [], frame
        return sent

    return run


def types(sent: list[dict[str, Any]]) -> list[str]:
    return [f["type"] for f in sent]


def conversation_of(personas, **kwargs):
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], **kwargs
    )
    return conversation


def test_conversation_and_message_actions_emit_their_frames(personas, emitted):
    gp, cardio = personas.gp, personas.cardiologist
    created: list[Any] = []
    sent = emitted(lambda: created.append(actions.create_conversation(gp, users=[cardio])[0]))
    assert types(sent) == DECLARED["create_conversation"]
    conversation = created[0]
    result: list[Any] = []
    sent = emitted(
        lambda: result.append(
            actions.send_message(gp, conversation.pk, client_id="frames-0001", body="Bonjour")
        )
    )
    assert types(sent) == DECLARED["send_message"]
    message = result[0].message
    sent = emitted(lambda: actions.edit_message(gp, message.pk, "Bonjour !"))
    assert types(sent) == DECLARED["edit_message"]
    assert (
        types(emitted(lambda: actions.mark_read(cardio, conversation.pk, 1)))
        == DECLARED["mark_read"]
    )
    sent = emitted(lambda: actions.delete_message(gp, message.pk))
    assert types(sent) == DECLARED["delete_message"]
    sent = emitted(lambda: actions.post_system_message(conversation.pk, "Note"))
    assert types(sent) == DECLARED["post_system_message"]


def test_urgent_replies_and_forwards_emit_their_frames(personas, emitted):
    gp, cardio = personas.gp, personas.cardiologist
    conversation = conversation_of(personas)
    other = conversation_of(personas, title="Autre")
    sent_messages: list[Any] = []

    def send(**options: Any) -> None:
        result = actions.send_message(
            gp,
            conversation.pk,
            client_id=f"c-{len(sent_messages)}-xyz",
            body="Urgent",
            options=SendOptions(**options),
        )
        sent_messages.append(result.message)

    assert types(emitted(lambda: send(urgent=True))) == DECLARED["send_message"]
    urgent_message = sent_messages[0]
    assert emitted(lambda: send(reply_to=urgent_message.pk))[0]["message"]["reply_to"]["id"] == str(
        urgent_message.pk
    )
    sent = emitted(lambda: urgent.acknowledge_message(cardio, urgent_message.pk))
    assert types(sent) == DECLARED["urgent.acknowledge_message"]
    assert types(emitted(lambda: urgent.acknowledge_message(cardio, urgent_message.pk))) == []
    with eager_tasks():
        sent = emitted(lambda: urgent.remind(urgent_message.pk))
    assert types(sent) == []  # everyone has acknowledged: nobody to remind
    sent = emitted(
        lambda: forwarding.forward_to_conversation(gp, urgent_message.pk, other.pk, "fwd-12345678")
    )
    assert types(sent) == DECLARED["forwarding.forward_to_conversation"]
    assert sent[0]["message"]["forwarded"] is True
    sent = emitted(
        lambda: forwarding.forward_by_mssante(
            gp, urgent_message.pk, ["julie.durand@demo.mssante.fr"]
        )
    )
    assert types(sent) == DECLARED["forwarding.forward_by_mssante"]
    send(urgent=True)
    due = timezone.now() - datetime.timedelta(seconds=settings.URGENT_REMINDER_SECONDS + 1)
    Message.objects.filter(pk=sent_messages[-1].pk).update(created_at=due)
    assert types(emitted(lambda: urgent.remind(sent_messages[-1].pk))) == DECLARED["urgent.remind"]


def test_participant_changes_emit_their_frames(personas, emitted):
    gp = personas.gp
    group, _ = actions.create_conversation(gp, users=[personas.cardiologist], title="Staff")
    sent = emitted(lambda: groups.add_participant(gp, group.pk, personas.nurse))
    assert types(sent) == DECLARED["add_participant"]
    sent = emitted(lambda: groups.remove_participant(gp, group.pk, user=personas.nurse))
    assert types(sent) == DECLARED["remove_participant"]
    assert sent[-1] == {
        "type": "conversation.removed",
        "conversation": str(group.pk),
        "reason": "removed",
    }
    sent = emitted(lambda: groups.rename(gp, group.pk, "Staff du lundi"))
    assert types(sent) == DECLARED["rename"]
    assert {f["conversation"]["title"] for f in sent[1:]} == {"Staff du lundi"}
    sent = emitted(lambda: groups.set_patient(gp, group.pk, lefebvre()))
    assert types(sent) == DECLARED["set_patient"]
    assert sent[1]["conversation"]["patient"]["identity_status"] == "QUAL"
    sent = emitted(lambda: set_preferences(gp, group.pk, muted=True, pinned=True))
    assert types(sent) == DECLARED["set_preferences"]
    assert sent[0]["conversation"]["muted"] and sent[0]["conversation"]["pinned"]


def test_call_actions_emit_their_frames(personas, emitted):
    gp, cardio = personas.gp, personas.cardiologist
    conversation = conversation_of(personas)
    # Nobody online: the call ends at once as missed (the caller is told, no ring).
    sent = emitted(lambda: calls.invite(gp, conversation.pk, "chan-gp"))
    assert types(sent) == DECLARED["calls.invite (nobody reachable)"]
    presence.connect(cardio.pk, "chan-cardio")  # the cardiologist's socket is open
    started: list[Any] = []
    sent = emitted(lambda: started.append(calls.invite(gp, conversation.pk, "chan-gp")))
    assert types(sent) == DECLARED["calls.invite"]
    sent = emitted(lambda: calls.accept(cardio, started[0].pk, "chan-cardio"))
    assert types(sent) == DECLARED["calls.accept"]
    sent = emitted(lambda: calls.hangup(cardio, started[0].pk))
    assert types(sent) == DECLARED["calls.hangup"]

    emitted(lambda: started.append(calls.invite(gp, conversation.pk, "chan-gp")))
    sent = emitted(lambda: calls.decline(cardio, started[1].pk, "En consultation"))
    assert types(sent) == DECLARED["calls.decline"]

    emitted(lambda: started.append(calls.invite(gp, conversation.pk, "chan-gp")))
    later = timezone.now() + datetime.timedelta(hours=1)
    sent = emitted(lambda: expire_if_unanswered(started[2].pk, now=later))
    assert types(sent) == DECLARED["calls.expire_if_unanswered"]

    emitted(lambda: started.append(calls.invite(gp, conversation.pk, "chan-gp")))
    sent = emitted(lambda: calls.leave_calls_of_channel("chan-gp"))
    assert types(sent) == DECLARED["calls.leave_calls_of_channel"]


def test_synthesis_rendering_emits_export_updates(personas, emitted):
    conversation = conversation_of(personas, patient=lefebvre())
    actions.send_message(personas.gp, conversation.pk, client_id="frames-0002", body="Avis ?")
    export: list[Any] = []
    with eager_tasks():
        sent = emitted(lambda: export.append(request_synthesis(personas.gp, conversation.pk)))
    assert set(types(sent)) == set(DECLARED["syntheses.request_synthesis"])
    assert sent[-1]["export"]["status"] == "done"
    assert types(emitted(lambda: render_export(str(export[0].pk)))) == []  # idempotent
    TrustedDomain.objects.get_or_create(
        domain="demo.mssante.fr", defaults={"imported_at": timezone.now()}
    )
    with eager_tasks():
        sent = emitted(
            lambda: send_export(personas.gp, export[0].pk, ["julie.durand@demo.mssante.fr"], False)
        )
    assert types(sent) == DECLARED["syntheses.send_export"]


def test_teleexpertise_actions_emit_their_frames(personas, emitted):
    ensure_tariffs()
    gp, cardio = personas.gp, personas.cardiologist
    created: list[Any] = []
    sent = emitted(lambda: created.append(new_request(gp, cardio, lefebvre())))
    assert types(sent) == DECLARED["te.create_request"]
    request = created[0]
    sent = emitted(lambda: te.accept_request(cardio, request.pk))
    assert types(sent) == DECLARED["te.accept_request"]
    sent = emitted(lambda: te.write_report(cardio, request.pk, **REPORT))
    assert types(sent) == DECLARED["te.write_report"]
    with eager_tasks():
        sent = emitted(lambda: te.file_request(cardio, request.pk))
    assert types(sent) == DECLARED["te.file_request"]
    assert all("question" not in f["request"] for f in sent if f["type"] != "message.new")


def test_the_other_teleexpertise_steps_emit_their_frames(personas, emitted):
    gp, cardio = personas.gp, personas.cardiologist
    declined = new_request(gp, cardio, lefebvre())
    sent = emitted(lambda: te.decline_request(cardio, declined.pk, "Hors de ma spécialité"))
    assert types(sent) == DECLARED["te.decline_request"]
    assert types(emitted(lambda: te.close_request(gp, declined.pk))) == DECLARED["te.close_request"]
    late = new_request(gp, cardio, lefebvre())
    later = timezone.now() + datetime.timedelta(days=60)
    sent = emitted(lambda: te.flag_overdue(late.pk, now=later))
    assert types(sent) == DECLARED["te.flag_overdue"]
    sent = emitted(lambda: te.withdraw_consent(gp, late.pk))
    assert types(sent) == DECLARED["te.withdraw_consent"]
    to_team = te.create_request(
        gp,
        team_id=Mailbox.objects.get(address__startswith="secretariat.cardiologie@").pk,
        patient_id=lefebvre().pk,
        question="Avis de l'équipe ?",
        urgency="normal",
        consent=te.ConsentInput(
            method="oral", collected_at=timezone.now() - datetime.timedelta(hours=1)
        ),
    )
    sent = emitted(lambda: te.take_request(cardio, to_team.pk))
    assert types(sent) == DECLARED["te.take_request"]


def test_a_stored_mssante_mail_tells_its_mailbox_readers(personas, emitted):
    box = Mailbox.objects.get(kind=Mailbox.Kind.PERSONAL, professional__user=personas.gp)
    TrustedDomain.objects.get_or_create(
        domain="demo.mssante.fr", defaults={"imported_at": timezone.now()}
    )
    mail = store_fetched(box, plain_mail("marc.leroy@demo.mssante.fr", box.address, "Avis", "?"))
    assert mail is not None
    sent = emitted(lambda: followup.process(mail.pk))
    assert types(sent) == DECLARED["mssante.inbox.process"]
    assert set(sent[0]) == {"type", "mailbox", "message"}  # ids only, no subject nor sender


def test_every_server_frame_is_emitted_by_an_action_or_the_consumer():
    declared = {t for emitted_types in DECLARED.values() for t in emitted_types}
    assert set(frames.SERVER_FRAMES) == declared | CONSUMER_FRAMES


def test_client_frames_are_the_consumer_handlers_and_their_forms():
    assert set(frames.CLIENT_FRAMES) == set(HANDLERS)
    forms = {
        "message.send": WsMessageSend,
        "message.edit": WsMessageEdit,
        "message.delete": WsMessageDelete,
        "message.acknowledge": WsMessageAcknowledge,
        "read": WsRead,
        "typing": WsTyping,
        "sync": WsSync,
        "presence.set": WsPresenceSet,
        "presence.query": WsPresenceQuery,
        "call.invite": WsCallInvite,
        "call.accept": WsCallRef,
        "call.decline": WsCallDecline,
        "call.hangup": WsCallRef,
        "call.signal": WsCallSignal,
    }
    for name, form in forms.items():
        declared = set(frames.CLIENT_FRAMES[name].__annotations__) - {"type", "ref"}
        assert declared == set(form().fields), name
