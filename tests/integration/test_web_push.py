"""Web Push: a locked phone is told « Nouveau message de Dr … », and nothing else.

The push service is outside our reach: `tests/support/push_service.py` stands in for it on
127.0.0.1 (the one mock at the edge of the world), checks the VAPID signature and decrypts the
RFC 8291 payload with the subscription's private key, as the browser would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from conversations import actions
from conversations.groups import preferences
from conversations.models import Connection
from conversations.push import notify
from conversations.push.models import PushDelivery, PushSubscription
from tests.conftest import assert_error, signed_in_browser
from tests.support.push_service import PushService, Subscriber

pytestmark = pytest.mark.django_db

SECRET_TEXT = "INR à 4,2 chez Mme MOREL, on arrête la fluindione ?"


@pytest.fixture
def service(settings: Any) -> Iterator[PushService]:
    settings.WEB_PUSH_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEB_PUSH_ALLOW_HTTP = True
    with PushService() as running:
        yield running


browser_for = signed_in_browser


def subscribe(browser: Client, subscriber: Subscriber, service: PushService) -> dict[str, Any]:
    answer = browser.post(
        "/api/push/subscriptions",
        {**subscriber.info(service.base), "expirationTime": None},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def send(sender: Any, conversation: Any, body: str = SECRET_TEXT) -> Any:
    return actions.send_message(
        sender, conversation.pk, client_id=f"push-{timezone.now().timestamp()}", body=body
    ).message


def test_a_recipient_away_gets_the_senders_name_and_never_the_text(personas, service):
    patient = Patient.objects.get(birth_name="MOREL")
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Anticoagulants", patient=patient
    )
    phone = service.subscribe()
    subscription = subscribe(browser_for("dr.bernard"), phone, service)
    assert subscription["current"] is True
    assert subscription["endpoint"] == phone.info(service.base)["endpoint"]

    message = send(personas.gp, conversation)
    assert notify.push_message(message.pk) == 1

    [received] = service.wait_for(1)
    assert service.rejected == []
    notice = received.json()
    assert notice == {
        "title": f"Nouveau message de {personas.gp.display_name}",
        "conversation": str(conversation.pk),
        "url": f"/conversations/{conversation.pk}",
        "tag": f"conversation-{conversation.pk}",
    }
    text = received.payload.decode()
    for secret in ("INR", "MOREL", "fluindione", "Anticoagulants", str(patient.pk)):
        assert secret not in text
    # Signed by this server's VAPID key, for the push service's origin, with a contact.
    assert received.vapid_key == settings.WEB_PUSH_VAPID_PUBLIC_KEY
    assert received.claims["aud"] == service.base
    assert received.claims["sub"] == settings.WEB_PUSH_VAPID_SUBJECT
    assert int(received.headers["ttl"]) == settings.WEB_PUSH_TTL


def test_a_retried_task_does_not_push_twice(personas, service):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    subscribe(browser_for("dr.bernard"), service.subscribe(), service)
    message = send(personas.gp, conversation)
    assert notify.push_message(message.pk) == 1
    assert notify.push_message(message.pk) == 0
    assert len(service.wait_for(1)) == 1
    assert PushDelivery.objects.filter(message=message, status=201).count() == 1


def test_the_sender_and_a_recipient_looking_at_the_app_are_not_pushed(personas, service):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    subscribe(browser_for("dr.martin"), service.subscribe(), service)
    subscribe(browser_for("dr.bernard"), service.subscribe(), service)
    tab = Connection.objects.create(
        channel_name="tab-1", user=personas.cardiologist, last_seen=timezone.now()
    )
    assert notify.push_message(send(personas.gp, conversation).pk) == 0
    # The tab goes to the background: it reports itself away, and the phone is told.
    tab.status = Connection.Status.AWAY
    tab.save(update_fields=["status"])
    assert notify.push_message(send(personas.gp, conversation).pk) == 1
    [received] = service.wait_for(1)
    assert received.json()["title"] == f"Nouveau message de {personas.gp.display_name}"


def test_a_muted_conversation_does_not_notify(personas, service):
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist, personas.dermatologist], title="Staff"
    )
    subscribe(browser_for("dr.bernard"), service.subscribe(), service)
    dermatologist_phone = service.subscribe()
    subscribe(browser_for("dr.petit"), dermatologist_phone, service)
    preferences.set_preferences(personas.cardiologist, conversation.pk, muted=True)
    assert notify.push_message(send(personas.gp, conversation).pk) == 1
    [received] = service.wait_for(1)
    assert received.token == dermatologist_phone.token
    # Unmuted again: told again.
    preferences.set_preferences(personas.cardiologist, conversation.pk, muted=False)
    assert notify.push_message(send(personas.gp, conversation).pk) == 2


def test_a_team_member_is_told_which_team_the_message_is_for(personas, service):
    team = Mailbox.objects.get(address__startswith="secretariat.cardiologie@")
    conversation, _ = actions.create_conversation(personas.gp, users=[], mailboxes=[team])
    subscribe(browser_for("sec.cardio"), service.subscribe(), service)
    # A billing clerk of the same team has no clinical access: never told.
    billing = browser_for("fact.girard")
    refused = billing.post(
        "/api/push/subscriptions",
        service.subscribe().info(service.base),
        content_type="application/json",
    )
    assert_error(refused, 403)
    assert notify.push_message(send(personas.gp, conversation).pk) == 1
    [received] = service.wait_for(1)
    name = team.display_name or team.address
    assert received.json()["title"] == (
        f"Nouveau message de {personas.gp.display_name} pour l'équipe {name}"
    )


def test_an_expired_subscription_is_deleted(personas, service):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    gone = service.subscribe()
    subscribe(browser_for("dr.bernard"), gone, service)
    service.answer(gone.token, 410)
    assert notify.push_message(send(personas.gp, conversation).pk) == 0
    assert not PushSubscription.objects.filter(user=personas.cardiologist).exists()
    event = AuditEvent.objects.get(verb="push.subscription_removed")
    assert event.data == {"reason": "gone_410"}


def test_sign_out_and_a_revoked_session_end_the_notices(personas, service):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    browser = browser_for("dr.bernard")
    subscribe(browser, service.subscribe(), service)
    assert browser.post("/api/auth/logout").status_code == 204
    assert not PushSubscription.objects.exists()

    subscribe(browser_for("dr.bernard"), service.subscribe(), service)
    other = browser_for("dr.bernard")
    answer = other.post(
        "/api/auth/password",
        {"old_password": "demo1234", "new_password": "un-nouveau-mot-de-passe-22"},
        content_type="application/json",
    )
    assert answer.status_code in (200, 204), answer.content
    assert notify.push_message(send(personas.gp, conversation).pk) == 0
    assert service.received == []
    assert not PushSubscription.objects.exists()


def test_a_message_schedules_the_task_only_when_someone_subscribed(
    personas, service, django_capture_on_commit_callbacks, monkeypatch
):
    from conversations.push import schedule, tasks

    queued: list[tuple[str, Any]] = []
    monkeypatch.setattr(schedule, "enqueue", lambda name, *args: queued.append((name, args)))
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    with django_capture_on_commit_callbacks(execute=True):
        send(personas.gp, conversation)
    assert queued == []
    subscribe(browser_for("dr.bernard"), service.subscribe(), service)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(personas.gp, conversation)
    assert queued == [(schedule.TASK, (str(message.pk),))]
    assert tasks.push_message.name == schedule.TASK


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://10.0.0.8/push/x",  # not a push service: the server must not call it
        "https://fcm.googleapis.com.evil.example/push/x",
        "ftp://127.0.0.1/push/x",
        "https://user:pw@127.0.0.1/push/x",
    ],
)
def test_an_endpoint_outside_the_push_services_is_refused(personas, service, endpoint):
    browser = browser_for("dr.bernard")
    info = service.subscribe().info(service.base)
    answer = browser.post(
        "/api/push/subscriptions",
        {**info, "endpoint": endpoint},
        content_type="application/json",
    )
    assert answer.status_code == 400, answer.content
    assert not PushSubscription.objects.exists()


def test_bad_keys_are_refused_with_the_field(personas, service):
    browser = browser_for("dr.bernard")
    info = service.subscribe().info(service.base)
    info["keys"]["p256dh"] = "AAAA"
    body = assert_error(
        browser.post("/api/push/subscriptions", info, content_type="application/json"),
        400,
        "push_key_invalid",
    )
    assert "p256dh" in body["fields"]


def test_a_user_lists_and_deletes_only_their_own_subscriptions(personas, service):
    mine, theirs = browser_for("dr.bernard"), browser_for("dr.petit")
    own = subscribe(mine, service.subscribe(), service)
    other = subscribe(theirs, service.subscribe(), service)
    listed = mine.get("/api/push/subscriptions").json()["results"]
    assert [s["id"] for s in listed] == [own["id"]]
    assert_error(mine.delete(f"/api/push/subscriptions/{other['id']}"), 404)
    assert_error(mine.delete("/api/push/subscriptions/pas-un-uuid"), 404)
    assert PushSubscription.objects.count() == 2
    assert mine.delete(f"/api/push/subscriptions/{own['id']}").status_code == 204
    assert [str(i) for i in PushSubscription.objects.values_list("id", flat=True)] == [other["id"]]
    config = mine.get("/api/push/config").json()
    assert config == {"public_key": settings.WEB_PUSH_VAPID_PUBLIC_KEY}


def test_the_same_browser_signed_in_by_someone_else_moves_to_them(personas, service):
    shared_pc = service.subscribe()
    subscribe(browser_for("dr.bernard"), shared_pc, service)
    again = browser_for("dr.petit").post(
        "/api/push/subscriptions", shared_pc.info(service.base), content_type="application/json"
    )
    assert again.status_code == 200
    assert list(PushSubscription.objects.values_list("user__username", flat=True)) == ["dr.petit"]
    assert json.loads(again.content)["current"] is True
