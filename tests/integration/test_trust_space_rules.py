"""The trust space, as issue 16 item 7 states it: production sends nothing without an imported
ANS allow-list and real identifiers (X-MSS-NIL, XDM sourceId); a stale list is flagged; patient
sub-domains, %-relays and patient/professional mixes are refused; the directory import marks
addresses outside the trust space, refuses a latin-1 file and accepts CAB mailboxes."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from backend.directory.models import DirectoryAddress, DirectoryEntry
from backend.mssante.addresses import check_address, check_recipients
from backend.mssante.models import OutboundMessage, TrustedDomain
from tests.conftest import assert_error
from tests.data import make_annuaire_samples as samples

pytestmark = pytest.mark.django_db
ALLOW = frozenset({"demo.mssante.fr"})
PATIENT = "285037728417346@patient.mssante.fr"
GP = "claire.martin@demo.mssante.fr"
CARDIOLOGIST = "paul.bernard@demo.mssante.fr"


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("285037728417346@x.patient.mssante.fr", "patient_subdomain"),
        ("285037728417346@mes.patient.mssante.fr", "patient_subdomain"),
        ("jean%dupont.example.com@demo.mssante.fr", "relay_local_part"),
        ("a%b@hopital.mssante.fr", "relay_local_part"),
    ],
)
def test_patient_subdomains_and_relay_local_parts_are_refused(address, code):
    verdict = check_address(address, ALLOW)
    assert not verdict.accepted and verdict.code == code and verdict.reason


def test_a_mail_never_mixes_a_patient_with_professionals():
    verdict = check_recipients([PATIENT, CARDIOLOGIST], ALLOW, health_document=False)
    assert not verdict.accepted and verdict.code == "patient_with_professionals"
    assert check_recipients([PATIENT], ALLOW, health_document=True).accepted


def _send(as_user, personas, **overrides):
    payload = {"from": GP, "to": [CARDIOLOGIST], "subject": "Avis", "body": "Bonjour"}
    payload.update(overrides)
    return as_user(personas.gp).post("/api/mssante/messages", payload, format="json")


def test_production_refuses_to_send_until_the_allowlist_is_imported(personas, as_user, settings):
    settings.PRODUCTION = True
    settings.MSSANTE_SOFTWARE_REF = "LS-CONVERGENCE-1234"
    TrustedDomain.objects.all().delete()
    before = OutboundMessage.objects.count()
    assert_error(_send(as_user, personas), 503, "allowlist_missing")
    TrustedDomain.objects.create(domain="demo.mssante.fr", imported_at=timezone.now())
    assert _send(as_user, personas).status_code == 202
    assert OutboundMessage.objects.count() == before + 1


def test_production_refuses_the_placeholder_software_reference(personas, as_user, settings):
    settings.PRODUCTION = True
    TrustedDomain.objects.create(domain="demo.mssante.fr", imported_at=timezone.now())
    settings.MSSANTE_SOFTWARE_REF = settings.MSSANTE_SOFTWARE_REF_PLACEHOLDER
    error = assert_error(_send(as_user, personas), 503, "software_ref_placeholder")
    assert "X-MSS-NIL" in error["message"]


def test_production_refuses_health_documents_with_the_placeholder_source_oid(personas, settings):
    from backend.errors import DomainError
    from backend.mssante.trust import require_sending_configured

    settings.PRODUCTION = True
    settings.MSSANTE_SOFTWARE_REF = "LS-CONVERGENCE-1234"
    TrustedDomain.objects.create(domain="demo.mssante.fr", imported_at=timezone.now())
    require_sending_configured(health_document=False)
    with pytest.raises(DomainError) as refused:
        require_sending_configured(health_document=True)
    assert refused.value.code == "xdm_source_placeholder"


def test_a_list_older_than_seven_days_is_flagged_in_readiness_and_metrics(client):
    old = timezone.now() - datetime.timedelta(days=8)
    TrustedDomain.objects.create(domain="demo.mssante.fr", imported_at=old)
    body = client.get("/readyz").json()
    assert body["flags"]["mssante_allowlist"] == "stale"
    metrics = client.get("/metrics").content.decode()
    assert "liaison_mssante_allowlist_stale 1" in metrics
    age = next(
        line for line in metrics.splitlines() if line.startswith("liaison_mssante_allowlist_age")
    )
    assert int(age.split()[1]) >= 8 * 86400
    TrustedDomain.objects.update(imported_at=timezone.now())
    assert client.get("/readyz").json()["flags"]["mssante_allowlist"] == "ok"
    assert "liaison_mssante_allowlist_stale 0" in client.get("/metrics").content.decode()


def _directory_file(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    text = "\n".join(["|".join(samples.MSSANTE_COLUMNS), *rows]) + "\n"
    path.write_bytes(text.encode(encoding, errors="replace"))
    return path


def _site() -> dict[str, str]:
    return samples.structures()[0]


def test_the_import_marks_addresses_outside_the_trust_space_and_says_so(tmp_path):
    site = _site()
    person = samples.DUPRE
    path = _directory_file(
        tmp_path / "annuaire.txt",
        [
            samples.mssante_row("PER", f"jean.dupre@{site['domain']}", person, site),
            samples.mssante_row("CAB", f"cabinet@{site['domain']}", None, site, "Cabinet"),
            samples.mssante_row("ORG", "secretariat@gmail.com", None, site, "Secrétariat"),
        ],
    )
    out = io.StringIO()
    call_command("import_annuaire", str(path), stdout=out, stderr=io.StringIO())
    summary = out.getvalue()
    assert "hors de l'espace de confiance (marquées non MSSanté) : 1" in summary
    assert set(DirectoryAddress.objects.values_list("address", "kind")) == {
        (f"jean.dupre@{site['domain']}", "PER"),
        (f"cabinet@{site['domain']}", "CAB"),
    }
    outside = DirectoryEntry.objects.get(key="mssante:bal:secretariat@gmail.com")
    assert outside.has_mssante is False


def test_a_latin1_file_is_refused_clearly_and_nothing_is_imported(tmp_path):
    site = _site()
    path = _directory_file(
        tmp_path / "annuaire-latin1.txt",
        [samples.mssante_row("PER", f"jean.dupre@{site['domain']}", samples.DUPREZ, site)],
        encoding="latin-1",
    )
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_annuaire", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not DirectoryEntry.objects.exists()
