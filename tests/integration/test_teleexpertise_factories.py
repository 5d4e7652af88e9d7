"""Factories shared by the teleexpertise tests (no tests here)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backend.accounts.identifiers import make_rpps
from backend.accounts.models import Membership, Organization, Professional, User
from backend.patients.ins import OID_NIR, make_ins
from backend.patients.models import Patient
from teleexpertise import actions
from teleexpertise.models import Tariff, TeleexpertiseRequest

EXAMPLE_INS = "285037728417346"
_orders = itertools.count(500)
_rpps = itertools.count(2000100000)


def ensure_tariffs() -> None:
    """The seeded table (migration 0002); a transactional test's flush empties it."""
    for code, amount, valid_from in [
        ("TE2", "20.00", datetime.date(2022, 4, 1)),
        ("TE2", "23.00", datetime.date(2026, 1, 1)),
        ("RQD", "10.00", datetime.date(2022, 4, 1)),
    ]:
        Tariff.objects.get_or_create(
            code=code, valid_from=valid_from, defaults={"amount": Decimal(amount)}
        )


def lefebvre() -> Patient:
    return Patient.objects.get(ins=EXAMPLE_INS)


def make_patient(organization: Organization, *, qualified: bool = True) -> Patient:
    order = next(_orders)
    return Patient.objects.create(
        organization=organization,
        ins=make_ins("M", 1960, 5, "72", "181", order) if qualified else "",
        ins_oid=OID_NIR if qualified else "",
        birth_name=f"TESTPATIENT{order}",
        first_names=["Jean"],
        birth_date=datetime.date(1960, 5, 1),
        sex="M",
        birth_place="72181",
        identity_status=(
            Patient.IdentityStatus.QUALIFIED if qualified else Patient.IdentityStatus.PROVISIONAL
        ),
    )


def make_professional(
    organization: Organization,
    *,
    username: str,
    profession_code: str = "10",
    is_expert: bool = False,
    role: str = Membership.Role.CLINICIAN,
) -> User:
    user = User.objects.create(username=username, first_name="Test", last_name=username)
    Professional.objects.create(
        user=user,
        title="Dr" if profession_code == "10" else "",
        given_name="Test",
        family_name=username.upper(),
        rpps=make_rpps(str(next(_rpps))),
        profession_code=profession_code,
        specialty="Cardiologie" if is_expert else "",
        am_number="729999999",
        is_expert=is_expert,
    )
    Membership.objects.create(professional=user.professional, organization=organization, role=role)
    return user


def oral_consent(hours_ago: int = 1) -> actions.ConsentInput:
    return actions.ConsentInput(
        method="oral", collected_at=timezone.now() - datetime.timedelta(hours=hours_ago)
    )


def new_request(
    requester: User, expert: User, patient: Patient, question: str = "Souffle systolique ?"
) -> TeleexpertiseRequest:
    return actions.create_request(
        requester,
        expert_id=expert.pk,
        patient_id=patient.pk,
        question=question,
        urgency="normal",
        consent=oral_consent(),
    )


REPORT = {
    "context": "Patiente de 41 ans, souffle découvert en consultation.",
    "answer": "Souffle fonctionnel probable, ECG normal.",
    "conclusion": "Pas d'indication à une consultation urgente.",
    "recommendations": "Échographie cardiaque à distance.",
}


def answered_request(requester: User, expert: User, patient: Patient) -> TeleexpertiseRequest:
    request = new_request(requester, expert, patient)
    actions.accept_request(expert, request.pk)
    return actions.write_report(expert, request.pk, **REPORT)


def upload(client: Any, name: str = "consentement.pdf", data: bytes | None = None) -> str:
    body = data or b"%PDF-1.4\n% consentement signe\n%%EOF\n"
    response = client.post(
        "/api/attachments",
        {"file": SimpleUploadedFile(name, body, content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    payload = response.json()
    return str(payload.get("attachment", payload)["id"])
