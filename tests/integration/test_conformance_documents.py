"""Every CDA and METADATA.XML the platform sends passes the official validators with zero
errors: the ANS CDA_extended.xsd, the ANS « structuration minimale » schematron and the OASIS
ebRIM 3.0 schema (tests/support/conformance.py). One test per document kind, and a property test
over generated patients, professionals and texts with accents."""

from __future__ import annotations

import datetime
import io
import zipfile
from email import policy
from email.parser import BytesParser

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.accounts.identifiers import make_finess
from backend.mssante import jdv
from backend.mssante.cda import build_cda_n1
from backend.mssante.identities import AuthorIdentity, OrganizationIdentity, PatientIdentity
from backend.mssante.models import OutboundMessage
from backend.mssante.xdm import XdmDocument, build_xdm_zip
from backend.patients.ins import OID_TEST, make_ins
from teleexpertise import actions
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
)
from tests.support.conformance import cda_problems, ebrim_errors, xdm_problems
from tests.support.mssante import attachments, eager_tasks, small_pdf

pytestmark = pytest.mark.django_db
SOURCE_OID = "2.25.160631418095542372735546063434463553046"
RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"


def _xdm_of(message: OutboundMessage) -> bytes:
    mail = BytesParser(policy=policy.default).parsebytes(bytes(message.mime))
    return attachments(mail)["IHE_XDM.ZIP"][1]


def _metadata(xdm: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xdm)) as archive:
        return archive.read("IHE_XDM/SUBSET01/METADATA.XML")


def _codes(metadata: bytes, scheme: str) -> set[str]:
    from lxml import etree

    root = etree.fromstring(metadata)
    return {
        str(c.get("nodeRepresentation"))
        for c in root.iter(f"{RIM}Classification")
        if c.get("classificationScheme") == scheme
    }


@pytest.fixture(autouse=True)
def _eager(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ensure_tariffs()
    with eager_tasks():
        yield


def test_the_teleexpertise_report_passes_the_ans_validators_and_ebrim(personas):
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    actions.file_request(personas.cardiologist, request.pk, visibility="invisible_patient")
    mails = OutboundMessage.objects.filter(related_id=str(request.pk), health_document=True)
    assert mails.count() == 2  # the professionals, and the patient's record
    for message in mails:
        xdm = _xdm_of(message)
        assert xdm_problems(xdm) == []
        metadata = _metadata(xdm)
        # The telemedicine report, its class, and the author's visibility choice.
        assert _codes(metadata, "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983") == {"85208-7"}
        assert _codes(metadata, "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a") == {"10"}
        confidentiality = _codes(metadata, "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f")
        assert confidentiality == {"N", "INVISIBLE_PATIENT"}
        text = metadata.decode()
        assert "&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1" in text  # authorInstitution
        assert "G15_10/SM04^Médecin - Cardiologie" in text  # authorSpecialty of Dr Bernard
        assert SOURCE_OID in text


def test_the_conversation_synthesis_to_the_patient_record_passes_the_validators(
    personas, as_user, django_capture_on_commit_callbacks
):
    from tests.integration.test_conversations_synthesis import done_export

    export = done_export(personas, as_user, django_capture_on_commit_callbacks)
    response = as_user(personas.gp).post(
        f"/api/exports/{export.pk}/send",
        {"to_patient_record": True, "visibility": "masked_professionals"},
        format="json",
    )
    assert response.status_code == 202, response.content
    [sent] = response.json()["messages"]
    xdm = _xdm_of(OutboundMessage.objects.get(pk=sent["id"]))
    assert xdm_problems(xdm) == []
    metadata = _metadata(xdm)
    assert _codes(metadata, "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a") == {"11"}
    confidentiality = _codes(metadata, "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f")
    assert confidentiality == {"N", "MASQUE_PS"}


def test_a_document_written_to_a_patient_passes_the_validators(personas):
    from backend.mssante.actions import HealthDocument, queue_message
    from tests.support.mssante import per_mailbox

    patient = lefebvre()
    message = queue_message(
        actor=personas.gp,
        sender_mailbox=per_mailbox(personas.gp),
        recipients=[str(patient.mssante_address)],
        subject="Résultats commentés",
        text="Bonjour, voici le courrier.",
        health_document=HealthDocument(
            pdf=small_pdf("Courrier de synthèse — Noël, Œdème"),
            title="Synthèse médicale",
            type_code="60591-5",
            patient=patient,
        ),
        patient=patient,
    )
    assert xdm_problems(_xdm_of(message)) == []


def test_a_broken_cda_is_caught_by_the_validators():
    """The validators are real: a header without its custodian and encounter fails."""
    from lxml import etree

    cda = _cda(_patient(), _author())
    root = etree.fromstring(cda)
    for tag in ("custodian", "componentOf"):
        node = root.find(f"{{urn:hl7-org:v3}}{tag}")
        root.remove(node)
    problems = cda_problems(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    assert any("custodian" in p for p in problems)
    assert any("componentOf" in p for p in problems)
    assert ebrim_errors(
        b'<SubmitObjectsRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"/>'
    )


# --- property test ------------------------------------------------------------------------------

NAME_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈÊËÀÂÎÏÔÖÙÛÜÇŒ"
names = st.text(alphabet=NAME_LETTERS + "-' ", min_size=2, max_size=30).filter(
    lambda s: any(c.isalpha() for c in s) and s.strip(" -'") == s
)
first_names = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèêëàâîïôöùûüçœ", min_size=2, max_size=12).map(
        str.capitalize
    ),
    min_size=1,
    max_size=3,
)
free_text = st.text(
    alphabet=st.characters(
        whitelist_categories=("L", "N", "Zs", "Po"), whitelist_characters="«»\u2019\u2013€°"
    ),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip())
places = st.sampled_from(
    [("77", "284"), ("72", "181"), ("2A", "004"), ("2B", "033"), ("974", "11"), ("99", "351")]
)


def _patient(birth_name="LEFÈVRE-D'ARC", given=("Élodie",), sex="F", day=datetime.date(1985, 3, 2)):
    department, commune = "77", "284"
    return PatientIdentity(
        ins=make_ins(sex, day.year, day.month, department, commune, 17),
        ins_oid=OID_TEST,
        birth_name=birth_name,
        first_names=tuple(given),
        birth_date=day,
        sex=sex,
        birth_place=department + commune,
    )


def _author(
    family="Bernard", given="Paul", profession="10", specialty="Cardiologie", kind="hospital"
):
    return AuthorIdentity(
        rpps="10001045367",
        family_name=family,
        given_name=given,
        profession_code=profession,
        profession_label="",
        specialty=specialty,
        organization=OrganizationIdentity(
            finess=make_finess("72000002"), name="CH du Mans — Cardiologie", kind=kind
        ),
    )


def _cda(patient, author, title="Compte rendu de télémédecine", type_code="85208-7", **kw):
    return build_cda_n1(
        small_pdf(title),
        document_id="2.25.1234567",
        title=title,
        type_code=type_code,
        type_display="CR de télémédecine",
        effective_time=timezone.now(),
        patient=patient,
        author=author,
        **kw,
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    birth_name=names,
    given=first_names,
    sex=st.sampled_from(["M", "F"]),
    birth=st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date(2025, 12, 31)),
    place=places,
    family=names,
    profession=st.sampled_from(["10", "50", "60", "70", "91"]),
    specialty=st.sampled_from(["Cardiologie", "Médecine générale", "Pédiatrie", "", "Gériatrie"]),
    kind=st.sampled_from(["hospital", "practice", "msp", "ehpad", "ssiad", "dac"]),
    title=free_text,
    visibility=st.sampled_from(sorted(jdv.VISIBILITY_CODES)),
    type_code=st.sampled_from(["85208-7", "60591-5", "11488-4"]),
    corsica=st.booleans(),
)
def test_generated_documents_pass_the_validators(
    birth_name,
    given,
    sex,
    birth,
    place,
    family,
    profession,
    specialty,
    kind,
    title,
    visibility,
    type_code,
    corsica,
):
    department, commune = place
    patient = PatientIdentity(
        ins=make_ins(sex, birth.year, birth.month, department, commune, 42),
        ins_oid=OID_TEST,
        birth_name=birth_name,
        first_names=tuple(given),
        birth_date=birth,
        sex=sex,
        birth_place=department + commune,
    )
    finess = make_finess("2B000002") if corsica else make_finess("72000002")
    author = AuthorIdentity(
        rpps="10001045367",
        family_name=family,
        given_name=given[0],
        profession_code=profession,
        profession_label="",
        specialty=specialty,
        organization=OrganizationIdentity(finess=finess, name=f"Structure {title[:30]}", kind=kind),
    )
    created = timezone.now()
    cda = build_cda_n1(
        small_pdf(title),
        document_id="2.25.987654321",
        title=title,
        type_code=type_code,
        type_display=title,
        effective_time=created,
        patient=patient,
        author=author,
        service_start=created - datetime.timedelta(days=2),
        encounter_code="VR",
    )
    assert cda_problems(cda) == []
    xdm = build_xdm_zip(
        [
            XdmDocument(
                cda=cda,
                document_id="2.25.987654321",
                title=title,
                type_code=type_code,
                visibility=visibility,
            )
        ],
        submission_id="2.25.55555",
        patient=patient,
        author=author,
        title=title,
        created=created,
        source_id=SOURCE_OID,
    )
    assert ebrim_errors(_metadata(xdm)) == []
