"""The demo's EHPAD → pharmacy story: ``seed_demo`` leaves the EHPAD's prescription for its
resident in the pharmacy's team mailbox, where the pharmacist reads it (embedded Maildir path).
Generated data only: valid keys (INS, RPPS, FINESS) and the INS *test* OID."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from backend import demo
from backend.accounts.identifiers import is_valid_finess, is_valid_rpps
from backend.accounts.models import Professional, User
from backend.mssante.inbox.demo_pharmacy import EHPAD_MAILBOX, PHARMACY_MAILBOX
from backend.mssante.inbox.models import InboundMessage
from backend.mssante.inbox.parse import part_payload
from backend.patients.ins import parse_ins
from backend.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings: Any, tmp_path: Path) -> None:
    settings.MSSANTE_MAILDIR_DIR = tmp_path / "maildir"
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # idempotent: the mail is stored once


def test_the_pharmacist_finds_the_ehpad_prescription_in_the_pharmacy_box(seeded: None) -> None:
    client = Client()
    client.force_login(User.objects.get(username="ph.lambert"))
    boxes = client.get("/api/mssante/mailboxes").json()["mailboxes"]
    box = next(b for b in boxes if b["address"] == PHARMACY_MAILBOX[0])
    assert box["kind"] == "ORG" and box["unread"] == 1 and box["todo"] == 1
    listed = client.get(f"/api/mssante/mailboxes/{box['id']}/inbox").json()["messages"]
    assert len(listed) == 1
    assert listed[0]["from"] == EHPAD_MAILBOX[0] and listed[0]["health_document"]
    assert listed[0]["subject"].startswith("Ordonnance — modification de traitement ROUSSEAU")

    mail = client.get(f"/api/mssante/inbox/{listed[0]['id']}").json()
    resident = Patient.objects.get(birth_name="ROUSSEAU")
    xdm = mail["xdm"]
    assert (xdm["ins"], xdm["ins_status"], xdm["ins_oid"]) == (
        resident.ins,
        "valid",
        "1.2.250.1.213.1.4.10",
    )
    assert xdm["birth_name"] == "ROUSSEAU" and xdm["given_names"] == "Germaine Alice"
    assert xdm["birth_date"] == "04/05/1931" and xdm["sex"] == "F"
    assert xdm["documents"][0]["type_code"] == "57833-6"
    # The pharmacy holds no record of the EHPAD's resident: creation is offered, not done.
    assert mail["patient_match"] == "offer" and mail["patient_known"] is None
    assert {p["filename"] for p in mail["parts"]} >= {"IHE_XDM.ZIP"}


def test_the_prescription_carries_valid_generated_identifiers(seeded: None) -> None:
    stored = InboundMessage.objects.get(mailbox__address=PHARMACY_MAILBOX[0])
    index = next(p["index"] for p in stored.parts if p["filename"] == "IHE_XDM.ZIP")
    found = part_payload(bytes(stored.raw), index)
    assert found is not None
    with zipfile.ZipFile(io.BytesIO(found[2])) as package:
        metadata = package.read("IHE_XDM/SUBSET01/METADATA.XML").decode()
    ehpad_finess = demo.ORGANIZATIONS["ehpad"][1]
    prescriber = Professional.objects.get(user__username="dr.martin")
    assert is_valid_finess(ehpad_finess) and ehpad_finess in metadata
    assert is_valid_rpps(str(prescriber.rpps)) and str(prescriber.rpps) in metadata
    resident = Patient.objects.get(birth_name="ROUSSEAU")
    assert parse_ins(resident.ins).sex == "F" and resident.identity_status == "QUAL"
    assert "1.2.250.1.213.1.4.8&" not in metadata  # never the production INS OID
    pharmacy = demo.ORGANIZATIONS["pharmacie"][1]
    assert is_valid_finess(pharmacy)
