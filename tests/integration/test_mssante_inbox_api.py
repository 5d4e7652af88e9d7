"""The inbox API: team mailbox workflow, clinical content only for clinical roles, replies with
threading and the trust-space checks, filing into a conversation or a patient's record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.accounts.models import Mailbox, Professional
from backend.mssante.inbox.actions import store_fetched
from backend.mssante.inbox.demo import SSIAD_MAILBOX
from backend.mssante.inbox.models import InboundMessage
from backend.mssante.inbox.samples import pdf_bytes, plain_mail
from backend.mssante.mime import MimeAttachment
from backend.mssante.models import OutboundMessage, TrustedDomain
from conversations.actions import create_conversation
from tests.conftest import assert_error
from tests.support.mssante import eager_tasks

pytestmark = pytest.mark.django_db
DAC = "marc.leroy@demo.mssante.fr"


@pytest.fixture
def team(personas: Any) -> Mailbox:
    TrustedDomain.objects.get_or_create(
        domain="demo.mssante.fr", defaults={"imported_at": timezone.now()}
    )
    nurse = Professional.objects.get(user=personas.nurse)
    box = Mailbox.objects.create(
        address=SSIAD_MAILBOX[0],
        kind=Mailbox.Kind.ORGANIZATIONAL,
        organization=nurse.memberships.get().organization,
        display_name=SSIAD_MAILBOX[1],
        responsible=nurse,
    )
    box.members.add(nurse, Professional.objects.get(user=personas.billing))
    return box


@pytest.fixture
def request_mail(team: Mailbox) -> InboundMessage:
    pdf = MimeAttachment("ordonnance.pdf", "application/pdf", pdf_bytes("Ordonnance"))
    raw = plain_mail(DAC, team.address, "Demande d'intervention", "Passage quotidien ?",
                     attachments=[pdf])  # fmt: skip
    mail = store_fetched(team, raw)
    assert mail is not None
    return mail


def test_members_see_the_team_box_with_its_unread_count(
    personas: Any, as_user: Any, request_mail: InboundMessage
) -> None:
    body = as_user(personas.nurse).get("/api/mssante/mailboxes").json()
    team = next(b for b in body["mailboxes"] if b["address"] == SSIAD_MAILBOX[0])
    assert (team["unread"], team["todo"], team["kind"]) == (1, 1, "ORG")
    boxes = as_user(personas.gp).get("/api/mssante/mailboxes").json()["mailboxes"]
    assert SSIAD_MAILBOX[0] not in {b["address"] for b in boxes}


def test_a_non_member_gets_not_found(personas: Any, as_user: Any, request_mail: Any) -> None:
    response = as_user(personas.gp).get(f"/api/mssante/inbox/{request_mail.pk}")
    assert_error(response, 404)
    response = as_user(personas.gp).get(f"/api/mssante/mailboxes/{request_mail.mailbox_id}/inbox")
    assert_error(response, 404)


def test_a_non_clinical_member_never_sees_clinical_content(
    personas: Any, as_user: Any, request_mail: InboundMessage
) -> None:
    # The billing clerk is a member of the team box, without a clinical role: the box is not
    # theirs to read at all (backend/mssante/access.py), by any path.
    clerk = as_user(personas.billing)
    boxes = clerk.get("/api/mssante/mailboxes").json()["mailboxes"]
    assert SSIAD_MAILBOX[0] not in {b["address"] for b in boxes}
    assert_error(clerk.get(f"/api/mssante/mailboxes/{request_mail.mailbox_id}/inbox"), 404)
    assert_error(clerk.get(f"/api/mssante/inbox/{request_mail.pk}"), 404)
    assert_error(clerk.get(f"/api/mssante/inbox/{request_mail.pk}/parts/2"), 404)
    assert_error(clerk.post(f"/api/mssante/inbox/{request_mail.pk}/state",
                            {"action": "take"}, format="json"), 404)  # fmt: skip
    request_mail.refresh_from_db()
    assert request_mail.team_state == "todo"
    assert not request_mail.reads.exists()


def test_a_nurse_reads_takes_answers_and_closes_the_request(
    personas: Any, as_user: Any, request_mail: InboundMessage
) -> None:
    nurse = as_user(personas.nurse)
    detail = nurse.get(f"/api/mssante/inbox/{request_mail.pk}").json()
    assert detail["text"] == "Passage quotidien ?"
    pdf_part = next(p for p in detail["parts"] if p["filename"] == "ordonnance.pdf")
    preview = nurse.get(f"/api/mssante/inbox/{request_mail.pk}/parts/{pdf_part['index']}")
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    assert preview["Content-Disposition"].startswith("inline") and preview.content[:4] == b"%PDF"
    taken = nurse.post(f"/api/mssante/inbox/{request_mail.pk}/state", {"action": "take"},
                       format="json").json()  # fmt: skip
    assert taken["team_state"] == "taken" and taken["taken_by"] == "Julie Durand"
    with eager_tasks():
        answer = nurse.post(
            f"/api/mssante/inbox/{request_mail.pk}/reply",
            {"mode": "reply", "text": "Passage lundi 8 h."},
            format="json",
        )
    assert answer.status_code == 202, answer.content
    sent = OutboundMessage.objects.get(pk=answer.json()["id"])
    mime = bytes(sent.mime).decode()
    assert f"In-Reply-To: {request_mail.message_id}" in mime
    assert f"References: {request_mail.message_id}" in mime
    assert SSIAD_MAILBOX[0] in mime.split("\r\n\r\n", 1)[1] or "ssiad" in mime  # signature
    assert sent.subject.startswith("RE : Demande d'intervention")
    done = nurse.post(f"/api/mssante/inbox/{request_mail.pk}/state", {"action": "done"},
                      format="json").json()  # fmt: skip
    assert done["team_state"] == "done"
    history = nurse.get(f"/api/mssante/inbox/{request_mail.pk}").json()["history"]
    assert [h["verb"] for h in history] == ["received", "taken", "replied", "done"]


def test_a_reply_to_an_outside_address_is_refused_and_nothing_is_sent(
    personas: Any, as_user: Any, request_mail: InboundMessage
) -> None:
    response = as_user(personas.nurse).post(
        f"/api/mssante/inbox/{request_mail.pk}/reply",
        {"mode": "forward", "to": ["someone@gmail.com"], "text": "Pour info"},
        format="json",
    )
    assert_error(response, 400)
    assert not OutboundMessage.objects.exists()


def test_a_mail_is_filed_into_a_conversation_with_its_attachments(
    personas: Any, as_user: Any, request_mail: InboundMessage
) -> None:
    conversation, _ = create_conversation(
        personas.nurse, users=[personas.coordinator], title="Patiente Blanc"
    )
    response = as_user(personas.nurse).post(
        f"/api/mssante/inbox/{request_mail.pk}/file",
        {"conversation": str(conversation.pk)},
        format="json",
    )
    assert response.status_code == 200, response.content
    message = conversation.messages.get()
    assert [a.name for a in message.attachments.all()] == ["ordonnance.pdf"]
    history = as_user(personas.nurse).get(f"/api/mssante/inbox/{request_mail.pk}").json()
    assert history["history"][-1]["verb"] == "filed"


def test_absence_settings_refuse_an_end_before_the_start(personas: Any, as_user: Any) -> None:
    response = as_user(personas.gp).put(
        "/api/mssante/settings",
        {
            "absence_start": "2026-08-10T08:00:00+02:00",
            "absence_end": "2026-08-01T08:00:00+02:00",
            "absence_text": "Absente",
            "signature": "",
        },
        format="json",
    )
    assert_error(response, 400)


def test_absence_replies_once_per_sender_never_to_automatic_mail(
    personas: Any, as_user: Any, team: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    saved = as_user(personas.gp).put(
        "/api/mssante/settings",
        {
            "absence_start": (now - timedelta(days=1)).isoformat(),
            "absence_end": (now + timedelta(days=7)).isoformat(),
            "absence_text": "Je suis absente jusqu'au 15 ; pour une urgence, le 15.",
            "signature": "Dr Claire Martin",
        },
        format="json",
    )
    assert saved.status_code == 200, saved.content
    gp_box = Mailbox.objects.get(kind=Mailbox.Kind.PERSONAL, professional__user=personas.gp)
    auto = plain_mail(DAC, gp_box.address, "Accusé", "auto").replace(
        b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1
    )
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        store_fetched(gp_box, plain_mail(DAC, gp_box.address, "Patient Garnier", "Avis ?"))
        store_fetched(gp_box, plain_mail(DAC, gp_box.address, "Patient Faure", "Avis ?"))
        store_fetched(gp_box, auto)
    replies = OutboundMessage.objects.filter(related_type="absence")
    assert replies.count() == 1
    mime = bytes(replies.get().mime)
    assert b"Auto-Submitted: auto-replied" in mime
    assert replies.get().recipients.get().address == DAC
