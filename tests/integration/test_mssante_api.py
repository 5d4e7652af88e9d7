"""MSSanté API: the trust-space answer for an address, sending (to colleagues and to a patient by
INS), following the outbox, and who may do what. Mail goes through a real SMTP relay on loopback.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from backend.mssante.models import OutboundMessage
from backend.patients.ins import make_ins
from backend.patients.models import Patient
from tests.conftest import assert_error
from tests.support.mssante import eager_tasks, outbox_count
from tests.support.smtp_server import SmtpRelay

pytestmark = pytest.mark.django_db
EXAMPLE_INS = "285037728417346"
PATIENT_ADDRESS = f"{EXAMPLE_INS}@patient.mssante.fr"
OTHER_PATIENT_ADDRESS = f"{make_ins('M', 1942, 11, '72', '181', 52)}@patient.mssante.fr"
GP = "claire.martin@demo.mssante.fr"
CARDIOLOGIST = "paul.bernard@demo.mssante.fr"
NURSE = "julie.durand@demo.mssante.fr"
SECRETARIAT = "secretariat.cardiologie@demo.mssante.fr"
CHECK = "/api/mssante/check-address"
MESSAGES = "/api/mssante/messages"


@pytest.fixture
def relay(tmp_path):
    with SmtpRelay.serving(tmp_path / "pki") as server, override_settings(**server.settings()):
        yield server


@pytest.fixture(autouse=True)
def _eager():
    with eager_tasks():
        yield


@pytest.fixture
def send(as_user, django_capture_on_commit_callbacks):
    def post(user, sender, to, **extra):
        payload = {"from": sender, "to": to, "subject": "Objet", "body": "Bonjour", **extra}
        with django_capture_on_commit_callbacks(execute=True):
            return as_user(user).post(MESSAGES, payload, format="json")

    return post


# --- check-address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("Claire.Martin@Demo.MSSante.fr", "professional"),
        ("dr.x@interop-mssante.apicrypt.org", "professional"),
        ("dr.x@mss.ch-exemple.fr", "professional"),  # on the shipped allow-list
        (PATIENT_ADDRESS, "patient"),
    ],
)
def test_trust_space_addresses_are_accepted(personas, as_user, address, kind):
    response = as_user(personas.gp).post(CHECK, {"address": address}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["kind"], body["code"], body["reason"]) == (
        True,
        kind,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("claire.martin@gmail.com", "outside_trust_space"),
        ("dr@wanadoo.fr", "outside_trust_space"),
        ("dr@mssante.fr.example.com", "lookalike_domain"),
        ("dr@mssante-fr.com", "lookalike_domain"),
        ("dr@ms-sante.fr", "lookalike_domain"),
        ("pas une adresse", "malformed"),
        ("dr@@demo.mssante.fr", "malformed"),
        ("Dr Martin <claire.martin@demo.mssante.fr>", "malformed"),
        ("285037728417347@patient.mssante.fr", "patient_ins_invalid"),
    ],
)
def test_refused_addresses_are_answered_with_a_reason(personas, as_user, address, code):
    response = as_user(personas.gp).post(CHECK, {"address": address}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["code"]) == (False, code)
    assert body["reason"]


def test_check_address_needs_an_address_of_sane_length(personas, as_user):
    client = as_user(personas.gp)
    assert_error(client.post(CHECK, {}, format="json"), 400)
    too_long = "a" * 400 + "@demo.mssante.fr"
    assert_error(client.post(CHECK, {"address": too_long}, format="json"), 400)


# --- sending -------------------------------------------------------------------------------


def test_gp_sends_to_a_colleague_and_follows_the_status(personas, send, as_user, relay):
    response = send(personas.gp, GP, [CARDIOLOGIST], read_receipt=True)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["from"] == GP and body["subject"] == "Objet"
    assert body["status"] == "queued"  # accepted and stored; the task sends after commit
    assert [(r["address"], r["status"]) for r in body["recipients"]] == [(CARDIOLOGIST, "queued")]
    [mail] = relay.messages
    assert mail.rcpt_tos == (CARDIOLOGIST,)
    assert mail.parse()["Disposition-Notification-To"] == GP
    detail = as_user(personas.gp).get(f"{MESSAGES}/{body['id']}")
    assert detail.status_code == 200 and detail.json()["status"] == "sent"
    [recipient] = detail.json()["recipients"]
    assert (recipient["address"], recipient["status"], recipient["reason"]) == (
        CARDIOLOGIST,
        "sent",
        "",
    )
    assert recipient["sent_at"] and recipient["read_at"] is None


def test_line_breaks_in_the_subject_cannot_add_headers(personas, send, relay):
    response = send(personas.gp, GP, [CARDIOLOGIST], subject="Avis\r\nBcc: x@gmail.com")
    assert response.status_code == 202, response.content
    [mail] = relay.messages
    assert mail.rcpt_tos == (CARDIOLOGIST,)
    assert mail.parse()["Bcc"] is None
    assert mail.parse()["Subject"] == "Avis Bcc: x@gmail.com"


def test_write_to_a_patient_by_ins_and_close_the_exchange(personas, send, relay):
    patient = Patient.objects.get(ins=EXAMPLE_INS)
    response = send(
        personas.gp, GP, [PATIENT_ADDRESS], patient=str(patient.pk), close_exchange=True
    )
    assert response.status_code == 202, response.content
    assert response.json()["patient"] == str(patient.pk)
    assert response.json()["recipients"][0]["kind"] == "patient"
    mail = relay.messages[0].parse()
    # No CDA in this mail: no X-MSS-INS (it says what an XDM carries, DOMAIN.md).
    assert (mail["X-MSS-MES"], mail["X-MSS-INS"]) == ("FIN", None)
    assert mail["To"] == PATIENT_ADDRESS


def test_patient_address_alone_is_matched_to_the_qualified_record(personas, send, relay):
    response = send(personas.gp, GP, [PATIENT_ADDRESS])
    assert response.status_code == 202, response.content
    assert response.json()["patient"] == str(Patient.objects.get(ins=EXAMPLE_INS).pk)


def test_secretary_sends_from_the_org_mailbox_and_members_see_it(personas, send, as_user, relay):
    response = send(personas.secretary, SECRETARIAT, [GP])
    assert response.status_code == 202, response.content
    url = f"{MESSAGES}/{response.json()['id']}"
    assert as_user(personas.cardiologist).get(url).status_code == 200  # ORG member
    assert_error(as_user(personas.gp).get(url), 404)
    assert_error(as_user(personas.nurse).get(url), 404)
    listed = as_user(personas.cardiologist).get(MESSAGES).json()
    assert [m["id"] for m in listed["results"]] == [response.json()["id"]]


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ([], "no_recipients"),
        (["dr@gmail.com"], "outside_trust_space"),
        (["dr@mssante.fr.example.com"], "lookalike_domain"),
        (["pas-une-adresse"], "malformed"),
        ([CARDIOLOGIST, "dr@gmail.com"], "mixed_recipients"),
        ([PATIENT_ADDRESS, OTHER_PATIENT_ADDRESS], "several_patients"),
        (["285037728417347@patient.mssante.fr"], "patient_ins_invalid"),
        (
            [f"{make_ins('M', 1970, 5, '72', '181', 901)}@patient.mssante.fr"],
            "patient_not_qualified",
        ),
    ],
)
def test_refused_recipients_queue_and_send_nothing(personas, send, relay, to, code):
    error = assert_error(send(personas.gp, GP, to), 400, code)
    assert error["fields"]
    assert outbox_count() == 0
    assert relay.messages == []


def test_patient_with_unqualified_identity_cannot_be_written_to(personas, send, relay):
    patient = Patient.objects.get(ins=EXAMPLE_INS)
    Patient.objects.filter(pk=patient.pk).update(identity_status="VALI")
    assert_error(send(personas.gp, GP, [PATIENT_ADDRESS]), 400, "patient_not_qualified")
    response = send(personas.gp, GP, [PATIENT_ADDRESS], patient=str(patient.pk))
    assert_error(response, 400, "patient_not_qualified")
    assert outbox_count() == 0 and relay.messages == []


def test_other_refusals_queue_nothing(personas, send, relay):
    lefebvre = Patient.objects.get(ins=EXAMPLE_INS)
    garnier = OTHER_PATIENT_ADDRESS.split("@")[0]
    checks = [
        (
            send(personas.gp, GP, [OTHER_PATIENT_ADDRESS], patient=str(lefebvre.pk)),
            400,
            "patient_mismatch",
        ),
        (
            send(personas.nurse, NURSE, [PATIENT_ADDRESS], patient=str(lefebvre.pk)),
            404,
            "not_found",
        ),
        (
            send(personas.gp, GP, [CARDIOLOGIST], close_exchange=True),
            400,
            "close_exchange_without_patient",
        ),
        (
            send(
                personas.gp,
                GP,
                [CARDIOLOGIST],
                attachments=["8b0f5c1e-0000-4000-8000-000000000000"],
            ),
            400,
            None,
        ),
        (send(personas.gp, GP, [CARDIOLOGIST], subject=" "), 400, "subject_required"),
    ]
    for response, status, code in checks:
        assert_error(response, status, code)
    assert garnier and outbox_count() == 0 and relay.messages == []


@pytest.mark.parametrize(
    ("who", "sender"),
    [
        ("gp", SECRETARIAT),
        ("gp", CARDIOLOGIST),
        ("nurse", GP),
        ("secretary", CARDIOLOGIST),
        ("cardiologist", "dpi.ch-mans@demo.mssante.fr"),
        ("gp", "inconnu@demo.mssante.fr"),
    ],
)
def test_sending_from_a_mailbox_not_yours_is_not_found(personas, send, relay, who, sender):
    error = assert_error(send(getattr(personas, who), sender, [NURSE]), 404, "not_found")
    assert "from" in error["fields"]
    assert outbox_count() == 0 and relay.messages == []


def test_outbox_lists_newest_first_with_limit_and_offset(personas, send, as_user, relay):
    ids = [send(personas.gp, GP, [NURSE], subject=f"Objet {n}").json()["id"] for n in range(3)]
    client = as_user(personas.gp)
    page = client.get(MESSAGES, {"limit": 2}).json()
    assert page["count"] == 3 and [m["id"] for m in page["results"]] == ids[::-1][:2]
    rest = client.get(MESSAGES, {"limit": 2, "offset": 2}).json()
    assert [m["id"] for m in rest["results"]] == [ids[0]]
    assert as_user(personas.nurse).get(MESSAGES).json()["count"] == 0
    assert_error(client.get(MESSAGES, {"limit": "x"}), 400, "invalid_pagination")


# --- authorisation matrix ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("billing", 403), ("billing_mailbox_member", 403), ("anonymous", 401)]
)
def test_billing_and_anonymous_are_refused_everywhere(personas, as_user, send, relay, who, status):
    sent = send(personas.gp, GP, [NURSE]).json()["id"]
    before = len(relay.messages)
    user = None if who == "anonymous" else getattr(personas, who)
    client = as_user(user)
    responses = [
        client.post(CHECK, {"address": NURSE}, format="json"),
        client.post(
            MESSAGES, {"from": GP, "to": [NURSE], "subject": "s", "body": "b"}, format="json"
        ),
        client.get(MESSAGES),
        client.get(f"{MESSAGES}/{sent}"),
    ]
    for response in responses:
        assert_error(response, status)
    assert OutboundMessage.objects.count() == 1 and len(relay.messages) == before


@pytest.mark.parametrize(
    ("who", "sender", "sees_gp_message"),
    [
        ("gp", GP, True),
        ("cardiologist", CARDIOLOGIST, False),
        ("cardiologist", SECRETARIAT, False),
        ("secretary", SECRETARIAT, False),
        ("nurse", NURSE, False),
        ("coordinator", "marc.leroy@demo.mssante.fr", False),
    ],
)
def test_clinicians_send_from_their_mailboxes_and_see_only_their_outbox(
    personas, as_user, send, relay, who, sender, sees_gp_message
):
    gp_message = send(personas.gp, GP, [CARDIOLOGIST]).json()["id"]
    user = getattr(personas, who)
    client = as_user(user)
    assert client.post(CHECK, {"address": NURSE}, format="json").status_code == 200
    response = send(user, sender, [NURSE])
    assert response.status_code == 202, response.content
    detail = client.get(f"{MESSAGES}/{gp_message}")
    if sees_gp_message:
        assert detail.status_code == 200
    else:
        assert_error(detail, 404)
    listed = {m["id"] for m in client.get(MESSAGES).json()["results"]}
    assert response.json()["id"] in listed and (gp_message in listed) == sees_gp_message


def test_an_uploaded_file_goes_with_the_mail(personas, send, as_user, relay):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    upload = as_user(personas.gp).post(
        "/api/attachments",
        {"file": SimpleUploadedFile("bilan sanguin.pdf", pdf, "application/pdf")},
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    response = send(personas.gp, GP, [CARDIOLOGIST], attachments=[upload.json()["id"]])
    assert response.status_code == 202, response.content
    [mail] = relay.messages
    [part] = list(mail.parse().iter_attachments())
    assert part.get_filename() == "bilan sanguin.pdf"
    assert part.get_content() == pdf


def test_someone_elses_file_cannot_be_attached(personas, send, as_user, relay):
    pdf = b"%PDF-1.4\n%%EOF\n"
    upload = as_user(personas.nurse).post(
        "/api/attachments",
        {"file": SimpleUploadedFile("notes.pdf", pdf, "application/pdf")},
        format="multipart",
    )
    response = send(personas.gp, GP, [CARDIOLOGIST], attachments=[upload.json()["id"]])
    assert_error(response, 400, "attachment_invalid")
    assert relay.messages == []
