"""The expert files a report for a minor: the DMP visibility choice is shown (with the minor's
default), and the XDM sent to the patient's record carries the chosen visibility."""

from __future__ import annotations

import datetime
import io
import zipfile
from email import policy
from email.parser import BytesParser

import pytest
from playwright.sync_api import expect

from backend.accounts.models import Membership
from backend.mssante.models import OutboundMessage
from backend.patients.ins import OID_TEST, make_ins
from backend.patients.models import IdentityVerification, Patient
from teleexpertise import actions
from tests.e2e.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.integration.test_teleexpertise_factories import REPORT, ensure_tariffs, new_request
from tests.servers import Daphne
from tests.support.conformance import xdm_problems
from tests.support.mssante import attachments

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "bypass_csp": True, "locale": "fr-FR"}
CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"


def _minor(personas) -> Patient:
    born = datetime.date.today().replace(day=1) - datetime.timedelta(days=365 * 12)
    ins = make_ins("F", born.year, born.month, "72", "181", 612)
    membership = Membership.objects.filter(professional__user=personas.gp).first()
    assert membership is not None
    organization = membership.organization
    patient = Patient.objects.create(
        organization=organization,
        ins=ins,
        ins_oid=OID_TEST,
        birth_name="PETITJEAN",
        first_names=["Léa"],
        birth_date=born,
        sex="F",
        birth_place="72181",
        identity_status=Patient.IdentityStatus.QUALIFIED,
    )
    IdentityVerification.objects.create(
        patient=patient,
        verified_by=personas.gp,
        verified_at=datetime.datetime.now(datetime.UTC),
        document_type="PASSEPORT",
        insi_ins=ins,
        insi_oid=OID_TEST,
        outcome="QUAL",
    )
    return patient


def test_the_expert_sees_the_visibility_choice_and_the_xdm_carries_it(
    personas, server: Daphne, browser
):
    ensure_tariffs()
    patient = _minor(personas)
    request = new_request(personas.gp, personas.cardiologist, patient)
    actions.accept_request(personas.cardiologist, request.pk)
    actions.write_report(personas.cardiologist, request.pk, **REPORT)

    page = browser.new_context(**DESKTOP).new_page()
    sign_in(page, server.base, "dr.bernard")
    page.goto(f"{server.base}/teleexpertise/{request.pk}")
    page.get_by_test_id("te-file").click()
    expect(page.get_by_test_id("te-filing-dialog")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("te-visibility-minor")).to_contain_text("mineur")
    # The minor's default: hidden from the legal representatives (the setting's default).
    expect(page.get_by_test_id("te-visibility-invisible_representatives")).to_be_checked()
    page.get_by_test_id("te-visibility-invisible_patient").check()
    page.get_by_test_id("te-visibility-invisible_representatives").check()
    screenshot(page, "te-visibility-minor")
    assert serious_accessibility_violations(page) == []
    page.get_by_test_id("te-filing-confirm").click()
    expect(page.get_by_test_id("te-status")).to_contain_text("Classée", timeout=15_000)

    to_record = OutboundMessage.objects.get(
        related_id=str(request.pk), recipients__address=patient.mssante_address
    )
    mail = BytesParser(policy=policy.default).parsebytes(bytes(to_record.mime))
    xdm = attachments(mail)["IHE_XDM.ZIP"][1]
    with zipfile.ZipFile(io.BytesIO(xdm)) as archive:
        metadata = archive.read("IHE_XDM/SUBSET01/METADATA.XML").decode()
    assert 'nodeRepresentation="INVISIBLE_REP_LEGAUX"' in metadata
    assert f'classificationScheme="{CONFIDENTIALITY}"' in metadata
    assert xdm_problems(xdm) == []
