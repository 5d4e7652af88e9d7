"""Sending MSSanté mail through a real SMTP relay on loopback (STARTTLS, client certificate).

The relay (tests/support/smtp_server.py) is an aiosmtpd server with a test CA made at test
time; what it received is parsed: headers, parts, the IHE XDM package and the CDA.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.test import override_settings

from backend.audit.models import AuditEvent
from backend.mssante.actions import HealthDocument, queue_message, record_read_receipt
from backend.mssante.models import OutboundMessage, OutboundRecipient
from backend.mssante.tasks import send_outbound, send_pending
from backend.mssante.transport import SmtpTransport, TransportError
from backend.mssante.trust import check_address_now
from backend.patients.models import Patient
from tests.support.mssante import (
    attachments,
    eager_tasks,
    per_mailbox,
    small_pdf,
    zip_members,
)
from tests.support.smtp_server import SmtpRelay, make_pki

pytestmark = pytest.mark.django_db
EXAMPLE_INS = "285037728417346"
PATIENT_ADDRESS = f"{EXAMPLE_INS}@patient.mssante.fr"
GP_ADDRESS = "claire.martin@demo.mssante.fr"
NURSE_ADDRESS = "julie.durand@demo.mssante.fr"
HL7 = "{urn:hl7-org:v3}"
RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"


@pytest.fixture
def relay(tmp_path):
    with SmtpRelay.serving(tmp_path / "pki") as server, override_settings(**server.settings()):
        yield server


@pytest.fixture(autouse=True)
def _eager():
    with eager_tasks():
        yield


@pytest.fixture
def patient(personas):
    return Patient.objects.get(ins=EXAMPLE_INS)


def _find(element: ET.Element, path: str) -> ET.Element:
    found = element.find(path)
    assert found is not None, path
    return found


def queue(commit, **kwargs):
    with commit(execute=True):
        return queue_message(**kwargs)


def report_for(patient, pdf):
    return HealthDocument(
        pdf=pdf,
        title="Compte rendu de téléexpertise",
        type_code="11488-4",
        type_display="Compte rendu de consultation",
        patient=patient,
    )


def test_health_document_arrives_with_headers_pdf_and_xdm_package(
    personas, patient, relay, django_capture_on_commit_callbacks
):
    pdf = small_pdf()
    message = queue(
        django_capture_on_commit_callbacks,
        actor=personas.cardiologist,
        sender_mailbox=per_mailbox(personas.cardiologist),
        # A patient's mail never carries professionals' addresses (issue 16, trust space).
        recipients=[PATIENT_ADDRESS],
        subject="Avis cardiologique",
        text="Bonjour, voici mon compte rendu. Cordialement.",
        health_document=report_for(patient, pdf),
        close_exchange=True,
        read_receipt=True,
        related_object=("teleexpertise.request", "abc"),
    )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert [r.status for r in message.recipients.all()] == ["sent"]
    received = relay.messages
    assert [r.rcpt_tos for r in received] == [(PATIENT_ADDRESS,)]
    assert all(r.tls and "liaison-sante-tests" in r.client_subject for r in received)
    assert {r.mail_from for r in received} == {"paul.bernard@demo.mssante.fr"}

    mail = received[0].parse()
    assert mail["Message-ID"] == message.message_id
    assert mail["X-MSS-NIL"] == "LiaisonSante/0.1"
    assert mail["X-MSS-INS"] == "O"
    assert mail["X-MSS-CODECDA"] == "11488-4"
    assert mail["X-MSS-MES"] == "FIN"
    assert mail["Disposition-Notification-To"] == "paul.bernard@demo.mssante.fr"
    assert mail["Subject"] == "XDM/1.0/DDM+Avis cardiologique LEFEBVRE Marie 14/03/1985"
    assert mail.get_body(("plain",)).get_content().startswith("Bonjour, voici mon compte rendu")

    files = attachments(mail)
    pdf_name = next(name for name in files if name.endswith(".pdf"))
    assert pdf_name.split("_")[2:4] == ["LEFEBVRE", "Marie"]
    assert files[pdf_name] == ("application/pdf", pdf)
    content_type, package = files["IHE_XDM.ZIP"]
    assert content_type == "application/zip"
    members = zip_members(package)
    assert sorted(members) == [
        "IHE_XDM/SUBSET01/DOC0001.XML",
        "IHE_XDM/SUBSET01/METADATA.XML",
        "INDEX.HTM",
        "README.TXT",
    ]
    metadata = ET.fromstring(members["IHE_XDM/SUBSET01/METADATA.XML"])  # noqa: S314 - ours
    patient_ids = {
        e.get("value")
        for e in metadata.iter(f"{RIM}ExternalIdentifier")
        if str(_find(e, f"{RIM}Name/{RIM}LocalizedString").get("value")).endswith("patientId")
    }
    # Demo data carries the INS test OID, never the production one (référentiel INS).
    assert patient_ids == {f"{EXAMPLE_INS}^^^&1.2.250.1.213.1.4.10&ISO^NH"}
    cda = ET.fromstring(members["IHE_XDM/SUBSET01/DOC0001.XML"])  # noqa: S314 - ours
    record_id = _find(cda, f"{HL7}recordTarget/{HL7}patientRole/{HL7}id")
    assert record_id.get("extension") == EXAMPLE_INS
    body = _find(cda, f"{HL7}component/{HL7}nonXMLBody/{HL7}text")
    assert (body.get("mediaType"), body.get("representation")) == ("application/pdf", "B64")
    assert base64.b64decode(body.text or "") == pdf


def test_queue_and_outcomes_are_audited_with_the_patient_and_never_the_body(
    personas, patient, relay, django_capture_on_commit_callbacks
):
    message = queue(
        django_capture_on_commit_callbacks,
        actor=personas.cardiologist,
        sender_mailbox=per_mailbox(personas.cardiologist),
        recipients=[GP_ADDRESS],
        subject="Avis",
        text="Texte confidentiel XYZ",
        health_document=report_for(patient, small_pdf()),
    )
    events = AuditEvent.objects.filter(object_id=str(message.pk)).order_by("at")
    assert [e.verb for e in events] == ["mssante.queued", "mssante.sent"]
    assert {e.patient_id for e in events} == {patient.pk}
    assert all("XYZ" not in str(e.data) and "LEFEBVRE" not in str(e.data) for e in events)


def test_relay_down_then_up_sends_once_after_retries(
    personas, relay, django_capture_on_commit_callbacks, settings
):
    settings.MSSANTE_RETRY_DELAYS = [5, 10, 20]
    relay.stop()
    message = queue(
        django_capture_on_commit_callbacks,
        actor=personas.gp,
        sender_mailbox=per_mailbox(personas.gp),
        recipients=[NURSE_ADDRESS],
        subject="Passage demain",
        text="Bonjour",
    )
    message.refresh_from_db()
    recipient = message.recipients.get()
    assert (message.status, recipient.status, message.attempts) == ("queued", "queued", 1)
    assert message.next_attempt_at is not None
    assert "injoignable" in recipient.reason

    send_outbound(str(message.pk))  # second attempt, still down
    message.refresh_from_db()
    assert message.attempts == 2

    relay.start()
    send_outbound(str(message.pk))
    send_outbound(str(message.pk))  # a late duplicate of the retry: nothing more leaves
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.next_attempt_at is None
    assert [r.rcpt_tos for r in relay.messages] == [(NURSE_ADDRESS,)]
    assert message.recipients.get().reason == ""


def test_retries_exhausted_end_in_failure_with_the_last_reason(
    personas, relay, django_capture_on_commit_callbacks, settings
):
    settings.MSSANTE_RETRY_DELAYS = [1]
    relay.stop()
    message = queue(
        django_capture_on_commit_callbacks,
        actor=personas.gp,
        sender_mailbox=per_mailbox(personas.gp),
        recipients=[NURSE_ADDRESS],
        subject="Objet",
        text="Bonjour",
    )
    send_outbound(str(message.pk))
    message.refresh_from_db()
    recipient = message.recipients.get()
    assert (message.status, recipient.status) == ("failed", "failed")
    assert recipient.reason.startswith("Échec après 2 tentatives")
    assert AuditEvent.objects.filter(verb="mssante.failed", object_id=str(message.pk)).count() == 1


def test_permanent_refusal_fails_that_recipient_with_the_server_reason(
    personas, relay, django_capture_on_commit_callbacks
):
    relay.reject[NURSE_ADDRESS] = "550 5.1.1 Boite aux lettres inconnue"
    message = queue(
        django_capture_on_commit_callbacks,
        actor=personas.gp,
        sender_mailbox=per_mailbox(personas.gp),
        recipients=[NURSE_ADDRESS, "paul.bernard@demo.mssante.fr"],
        subject="Objet",
        text="Bonjour",
    )
    message.refresh_from_db()
    nurse, cardiologist = message.recipients.order_by("position")
    assert (nurse.status, nurse.reason) == ("failed", "550 5.1.1 Boite aux lettres inconnue")
    assert cardiologist.status == "sent"
    assert message.status == "partial"
    assert [r.rcpt_tos for r in relay.messages] == [("paul.bernard@demo.mssante.fr",)]
    send_outbound(str(message.pk))  # a final failure is not retried
    assert len(relay.messages) == 1


def test_temporary_refusal_is_retried_and_then_sent(
    personas, relay, django_capture_on_commit_callbacks
):
    relay.reject[NURSE_ADDRESS] = "451 4.3.0 Reessayez plus tard"
    message = queue(
        django_capture_on_commit_callbacks,
        actor=personas.gp,
        sender_mailbox=per_mailbox(personas.gp),
        recipients=[NURSE_ADDRESS],
        subject="Objet",
        text="Bonjour",
    )
    recipient = message.recipients.get()
    recipient.refresh_from_db()
    assert (recipient.status, recipient.reason) == ("queued", "451 4.3.0 Reessayez plus tard")
    relay.reject.clear()
    assert send_pending() == 0  # not due yet
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)
    assert send_pending() == 1
    recipient.refresh_from_db()
    assert recipient.status == "sent" and recipient.sent_at is not None
    assert len(relay.messages) == 1


def test_task_run_twice_sends_once(personas, relay, django_capture_on_commit_callbacks):
    message = queue(
        django_capture_on_commit_callbacks,
        actor=personas.gp,
        sender_mailbox=per_mailbox(personas.gp),
        recipients=[NURSE_ADDRESS],
        subject="Objet",
        text="Bonjour",
    )
    send_outbound.delay(str(message.pk))
    send_outbound(str(message.pk))
    assert len(relay.messages) == 1
    assert OutboundRecipient.objects.get(message=message).smtp_response.startswith("250")


def test_relay_refuses_a_client_without_certificate(relay, tmp_path):
    transport = SmtpTransport("127.0.0.1", relay.port, ca_file=str(relay.pki.ca_cert), timeout=5)
    with pytest.raises(TransportError) as failure, transport.session() as session:
        session.send(GP_ADDRESS, NURSE_ADDRESS, b"Subject: x\r\n\r\nx\r\n", name="x")
    assert not failure.value.permanent
    assert relay.messages == []


def test_a_relay_certificate_from_another_ca_is_refused(relay, tmp_path):
    other = make_pki(tmp_path / "other", "autre")
    transport = SmtpTransport(
        "127.0.0.1",
        relay.port,
        ca_file=str(other.ca_cert),
        client_cert=str(relay.pki.client_cert),
        client_key=str(relay.pki.client_key),
        timeout=5,
    )
    with pytest.raises(TransportError, match="TLS"), transport.session():
        pass
    assert transport.tls_context().minimum_version >= __import__("ssl").TLSVersion.TLSv1_2


def test_embedded_default_writes_one_eml_file_per_recipient_once(
    personas, tmp_path, django_capture_on_commit_callbacks
):
    with override_settings(MSSANTE_TRANSPORT="outbox", MSSANTE_OUTBOX_DIR=tmp_path / "outbox"):
        message = queue(
            django_capture_on_commit_callbacks,
            actor=personas.gp,
            sender_mailbox=per_mailbox(personas.gp),
            recipients=[NURSE_ADDRESS, "paul.bernard@demo.mssante.fr"],
            subject="Objet",
            text="Bonjour",
        )
        OutboundRecipient.objects.filter(message=message).update(status="queued")
        send_outbound(str(message.pk))  # files already there: not written twice
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == [f"{message.pk}-1.eml", f"{message.pk}-2.eml"]
    assert (tmp_path / "outbox" / files[0]).read_bytes() == bytes(message.mime)


def test_read_receipt_marks_the_recipient_read(personas, relay, django_capture_on_commit_callbacks):
    message = queue(
        django_capture_on_commit_callbacks,
        actor=personas.gp,
        sender_mailbox=per_mailbox(personas.gp),
        recipients=[NURSE_ADDRESS],
        subject="Objet",
        text="Bonjour",
        read_receipt=True,
    )
    recipient = record_read_receipt(message.message_id.strip("<>"), NURSE_ADDRESS.upper())
    assert recipient is not None and recipient.status == "read" and recipient.read_at
    assert record_read_receipt("<inconnu@demo.mssante.fr>", NURSE_ADDRESS) is None
    assert record_read_receipt(message.message_id, GP_ADDRESS) is None


def test_imported_allowlist_replaces_the_shipped_one(personas, tmp_path):
    assert check_address_now("dr@mss.ch-exemple.fr").accepted  # shipped default
    source = tmp_path / "listeblanchemssante.xml"
    source.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema"><Operateur><Domaines>'
        "<Domaine><Nom>mss.nouvel-operateur.fr</Nom></Domaine>"
        "</Domaines></Operateur></ListeBlanche>",
        encoding="utf-8",
    )
    call_command("import_allowlist", str(source))
    assert check_address_now("dr@mss.nouvel-operateur.fr").accepted
    assert not check_address_now("dr@mss.ch-exemple.fr").accepted
    assert check_address_now("dr@demo.mssante.fr").accepted  # *.mssante.fr always trusted
    assert AuditEvent.objects.filter(verb="mssante.allowlist_imported").exists()
