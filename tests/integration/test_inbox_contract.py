"""The inbox API answers what its OpenAPI document declares (backend/mssante/inbox/payloads.py):
every key declared, none undeclared, each of its type, for a clinician reading a health document
and for a team mailbox's plain mail, through the whole workflow."""

from __future__ import annotations

from typing import Any

import pytest

from backend.mssante.inbox import payloads
from backend.mssante.inbox.models import InboundMessage
from conversations.actions import create_conversation
from conversations.typecheck import check_typed
from tests.integration.test_mssante_inbox_api import request_mail, team  # noqa: F401 - fixtures
from tests.support.inbox import store_discharge_letter
from tests.support.mssante import eager_tasks

pytestmark = pytest.mark.django_db


def assert_declared(response: Any, declared: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    body = response.json()
    assert check_typed(body, declared, declared.__name__) == []
    return body


@pytest.fixture
def discharge_letter(personas: Any) -> InboundMessage:
    return store_discharge_letter(personas.gp)


def test_a_health_document_reads_as_declared(
    personas: Any, as_user: Any, discharge_letter: InboundMessage
) -> None:
    gp = as_user(personas.gp)
    boxes = assert_declared(gp.get("/api/mssante/mailboxes"), payloads.InboxMailboxes)
    assert str(discharge_letter.mailbox_id) in {b["id"] for b in boxes["mailboxes"]}
    listed = assert_declared(
        gp.get(f"/api/mssante/mailboxes/{discharge_letter.mailbox_id}/inbox"),
        payloads.InboxMessages,
    )
    assert [m["id"] for m in listed["messages"]] == [str(discharge_letter.pk)]
    mail = assert_declared(gp.get(f"/api/mssante/inbox/{discharge_letter.pk}"), payloads.InboxMail)
    assert mail["xdm"] is not None and mail["xdm"]["documents"]
    assert mail["patient_known"] is not None and mail["patient_match"] == "matched"
    filed = gp.post(f"/api/mssante/inbox/{discharge_letter.pk}/file",
                    {"patient": mail["patient_known"]["id"]}, format="json")  # fmt: skip
    assert assert_declared(filed, payloads.InboxFiled) == {"patient": mail["patient_known"]["id"]}


def test_a_team_mail_goes_through_its_workflow_as_declared(
    personas: Any,
    as_user: Any,
    request_mail: InboundMessage,  # noqa: F811 - the fixture imported above
) -> None:
    nurse = as_user(personas.nurse)
    url = f"/api/mssante/inbox/{request_mail.pk}"
    mail = assert_declared(nurse.get(url), payloads.InboxMail)
    assert mail["xdm"] is None and mail["parts"]
    taken = nurse.post(f"{url}/state", {"action": "take"}, format="json")
    assert assert_declared(taken, payloads.InboxSummary)["team_state"] == "taken"
    with eager_tasks():
        answer = nurse.post(f"{url}/reply", {"mode": "reply", "text": "Lundi."}, format="json")
    assert_declared(answer, payloads.InboxReplyQueued, status=202)
    conversation, _ = create_conversation(personas.nurse, users=[personas.coordinator], title="x")
    filed = nurse.post(f"{url}/file", {"conversation": str(conversation.pk)}, format="json")
    assert set(assert_declared(filed, payloads.InboxFiled)) == {"conversation", "message"}
    for folder in ("inbox", "todo", "taken", "done", "reports", "quarantine"):
        assert_declared(
            nurse.get(f"/api/mssante/mailboxes/{request_mail.mailbox_id}/inbox?folder={folder}"),
            payloads.InboxMessages,
        )


def test_mail_settings_read_and_write_as_declared(personas: Any, as_user: Any) -> None:
    gp = as_user(personas.gp)
    assert_declared(gp.get("/api/mssante/settings"), payloads.MailSettings)
    saved = gp.put(
        "/api/mssante/settings",
        {"absence_start": None, "absence_end": None, "absence_text": "", "signature": "Dr M."},
        format="json",
    )
    assert assert_declared(saved, payloads.MailSettings)["signature"] == "Dr M."
