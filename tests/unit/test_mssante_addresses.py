"""MSSanté trust space: operator allow-list parsing, address and recipient rules."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from backend.mssante.addresses import check_address, check_recipients
from backend.mssante.allowlist import (
    AllowlistError,
    default_allowlist,
    is_trusted_domain,
    parse_allowlist,
)
from backend.patients.ins import make_ins

NS = "https://listeblanche.mssante.fr/schema"
PATIENT_INS = "285037728417346"
OTHER_PATIENT_INS = make_ins("M", 72, 11, "2A", "004", 12)
ALLOWLIST = frozenset({"mss.ch-exemple.fr", "sante.operateur-exemple.fr"})


def allowlist_xml(*domains: str, namespace: str = NS) -> bytes:
    entries = "".join(f"<Domaine><Nom>{d}</Nom></Domaine>" for d in domains)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<ListeBlanche xmlns="{namespace}"><Operateur><Nom>Opérateur Exemple</Nom>'
        f"<Domaines>{entries}</Domaines></Operateur></ListeBlanche>"
    ).encode()


# --- allow-list parsing -------------------------------------------------------------------------


def test_allowlist_returns_lower_case_domains_found_under_domaine_nom_only() -> None:
    xml = allowlist_xml("MSS.CH-Exemple.fr", " sante.operateur-exemple.fr ", "autre.exemple.fr.")
    domains = parse_allowlist(io.BytesIO(xml))
    # The operator's own <Nom> is not under <Domaine>, so it is not a domain.
    assert domains == {"mss.ch-exemple.fr", "sante.operateur-exemple.fr", "autre.exemple.fr"}


def test_allowlist_reads_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "listeblanchemssante.xml"
    path.write_bytes(allowlist_xml("mss.ch-exemple.fr"))
    assert parse_allowlist(path) == {"mss.ch-exemple.fr"}
    assert parse_allowlist(str(path)) == {"mss.ch-exemple.fr"}


def test_allowlist_skips_entries_that_are_not_domain_names() -> None:
    xml = allowlist_xml("mss.ch-exemple.fr", "pas un domaine", "", "-bad-.fr")
    assert parse_allowlist(io.BytesIO(xml)) == {"mss.ch-exemple.fr"}


def test_allowlist_streams_a_large_file() -> None:
    domains = [f"mss{i}.operateur-exemple.fr" for i in range(20_000)]
    assert len(parse_allowlist(io.BytesIO(allowlist_xml(*domains)))) == 20_000


def test_allowlist_without_the_ans_namespace_is_refused_as_empty() -> None:
    with pytest.raises(AllowlistError, match="aucun domaine"):
        parse_allowlist(io.BytesIO(allowlist_xml("mss.ch-exemple.fr", namespace="urn:autre")))


def test_allowlist_with_a_dtd_is_refused() -> None:
    xml = b'<?xml version="1.0"?><!DOCTYPE ListeBlanche [<!ENTITY a "mss.ch-exemple.fr">]>' + (
        f'<ListeBlanche xmlns="{NS}"><Domaine><Nom>&a;</Nom></Domaine></ListeBlanche>'.encode()
    )
    with pytest.raises(AllowlistError, match="DTD"):
        parse_allowlist(io.BytesIO(xml))


def test_allowlist_refuses_a_dtd_hidden_after_the_first_chunk() -> None:
    padding = b"<!--" + b" " * 40_000 + b"-->"
    xml = b'<?xml version="1.0"?>' + padding + b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"
    with pytest.raises(AllowlistError, match="DTD"):
        parse_allowlist(io.BytesIO(xml))


class TrickleReader(io.BytesIO):
    """Returns at most 3 bytes per read, so markup is split across chunks."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(3)


def test_allowlist_refuses_a_dtd_split_across_small_reads() -> None:
    padding = b"<!--" + b" " * 2_000 + b"-->"
    xml = b'<?xml version="1.0"?>' + padding + b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"
    with pytest.raises(AllowlistError, match="DTD"):
        parse_allowlist(TrickleReader(xml))
    assert parse_allowlist(TrickleReader(allowlist_xml("mss.ch-exemple.fr"))) == {
        "mss.ch-exemple.fr"
    }


def test_allowlist_in_utf16_or_another_declared_encoding_is_refused() -> None:
    utf16 = allowlist_xml("mss.ch-exemple.fr").decode().replace("UTF-8", "UTF-16")
    with pytest.raises(AllowlistError):
        parse_allowlist(io.BytesIO(utf16.encode("utf-16")))
    latin = allowlist_xml("mss.ch-exemple.fr").replace(b"UTF-8", b"cp500")
    with pytest.raises(AllowlistError, match="UTF-8"):
        parse_allowlist(io.BytesIO(latin))


def test_allowlist_that_is_not_xml_is_refused() -> None:
    with pytest.raises(AllowlistError, match="XML"):
        parse_allowlist(io.BytesIO(b"<ListeBlanche><Domaine>"))


def test_missing_allowlist_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AllowlistError, match="lue"):
        parse_allowlist(tmp_path / "absent.xml")


def test_shipped_allowlist_loads_and_is_cached() -> None:
    domains = default_allowlist()
    assert "mss.ch-exemple.fr" in domains
    assert all(d == d.lower() for d in domains)
    assert default_allowlist() is domains


# --- domain matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "mss.ch-exemple.fr",  # on the operator list
        "MSS.CH-EXEMPLE.FR",
        "medecin.mssante.fr",  # any sub-domain of mssante.fr
        "ch-exemple.hopitaux.mssante.fr",
        "patient.mssante.fr",
        "interop-mssante.apicrypt.org",
    ],
)
def test_trusted_domains(domain: str) -> None:
    assert is_trusted_domain(domain, ALLOWLIST)


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "orange.fr",
        "mssante.fr",  # not a sub-domain
        "mssante.fr.example.com",
        "mssante-fr.com",
        "xmssante.fr",
        "medecin.mssante.fr.evil.example",
        "apicrypt.org",
        "evil-interop-mssante.apicrypt.org",
        "sub.mss.ch-exemple.fr",  # the list is matched exactly
        "",
        "medecin..mssante.fr",
    ],
)
def test_untrusted_domains(domain: str) -> None:
    assert not is_trusted_domain(domain, ALLOWLIST)


# --- single addresses ---------------------------------------------------------------------------


def test_professional_address_on_an_mssante_sub_domain_is_accepted_and_normalised() -> None:
    verdict = check_address("  Jean.Martin@CH-Exemple.MSSante.fr ", ALLOWLIST)
    assert verdict.accepted
    assert verdict.kind == "professional"
    assert verdict.address == "Jean.Martin@ch-exemple.mssante.fr"
    assert verdict.code is None and verdict.reason is None


def test_professional_address_on_an_allowlisted_operator_domain_is_accepted() -> None:
    verdict = check_address("secretariat.cardio@mss.ch-exemple.fr", ALLOWLIST)
    assert (verdict.accepted, verdict.kind) == (True, "professional")


def test_apicrypt_interop_address_is_accepted() -> None:
    assert check_address("dr.exemple@interop-mssante.apicrypt.org", ALLOWLIST).accepted


def test_patient_address_built_from_a_valid_ins_is_accepted() -> None:
    verdict = check_address(f"{PATIENT_INS}@Patient.MSSante.fr", ALLOWLIST)
    assert verdict.accepted
    assert verdict.kind == "patient"
    assert verdict.address == f"{PATIENT_INS}@patient.mssante.fr"


def test_patient_address_with_a_corsican_ins_is_normalised_to_upper_case() -> None:
    verdict = check_address(f"{OTHER_PATIENT_INS.lower()}@patient.mssante.fr", ALLOWLIST)
    assert verdict.accepted
    assert verdict.address == f"{OTHER_PATIENT_INS}@patient.mssante.fr"


@pytest.mark.parametrize("address", ["jean.martin@gmail.com", "dr.exemple@orange.fr"])
def test_address_outside_the_trust_space_is_refused(address: str) -> None:
    verdict = check_address(address, ALLOWLIST)
    assert not verdict.accepted
    assert verdict.code == "outside_trust_space"
    assert verdict.kind is None
    assert verdict.reason and "espace de confiance" in verdict.reason


@pytest.mark.parametrize(
    "address",
    [
        "jean.martin@mssante.fr.example.com",
        "jean.martin@mssante-fr.com",
        "jean.martin@xmssante.fr",
        "jean.martin@ms-sante.fr",
        "jean.martin@mssante.fr",
    ],
)
def test_lookalike_mssante_domain_is_refused_with_a_specific_reason(address: str) -> None:
    verdict = check_address(address, ALLOWLIST)
    assert not verdict.accepted
    assert verdict.code == "lookalike_domain"
    assert verdict.reason and "ressemble à MSSanté" in verdict.reason


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "jean.martin",
        "jean@martin@ch.mssante.fr",
        "@ch.mssante.fr",
        "jean.martin@",
        "jean martin@ch.mssante.fr",
        "Jean Martin <jean.martin@ch.mssante.fr>",
        "<jean.martin@ch.mssante.fr>",
        '"jean"@ch.mssante.fr',
        "jean..martin@ch.mssante.fr",
        ".jean@ch.mssante.fr",
        "jean.@ch.mssante.fr",
        "jéan@ch.mssante.fr",
        "jean@ch.mssante.fr\r\nBcc: x@gmail.com",
        "jean@ch.mssante.fr, autre@ch.mssante.fr",
        "jean@[192.0.2.1]",
        "jean@localhost",
        "jean@-ch.mssante.fr",
        "jean@ch.mssante.fr.",
        "a" * 65 + "@ch.mssante.fr",
        "jean@" + "a" * 64 + ".mssante.fr",
        "jean@" + ("a" * 60 + ".") * 4 + "mssante.fr",
    ],
)
def test_malformed_address_is_refused(address: str) -> None:
    verdict = check_address(address, ALLOWLIST)
    assert not verdict.accepted
    assert verdict.code == "malformed"
    assert verdict.reason


def test_patient_address_with_a_wrong_ins_key_is_refused_with_the_ins_reason() -> None:
    verdict = check_address("285037728417347@patient.mssante.fr", ALLOWLIST)
    assert not verdict.accepted
    assert verdict.code == "patient_ins_invalid"
    assert verdict.reason and "clé" in verdict.reason


@pytest.mark.parametrize("local", ["jean.martin", "28503772841734", "385037728417346"])
def test_patient_domain_requires_an_ins_as_local_part(local: str) -> None:
    verdict = check_address(f"{local}@patient.mssante.fr", ALLOWLIST)
    assert (verdict.accepted, verdict.code) == (False, "patient_ins_invalid")


# --- recipients of one mail ---------------------------------------------------------------------


def test_professionals_are_accepted_for_a_health_document_but_never_with_a_patient() -> None:
    professionals = [
        "jean.martin@ch-exemple.mssante.fr",
        "secretariat@mss.ch-exemple.fr",
        "Jean.Martin@CH-exemple.mssante.fr",
    ]
    verdict = check_recipients(professionals, ALLOWLIST, health_document=True)
    assert verdict.accepted
    assert verdict.code is None
    assert [v.kind for v in verdict.verdicts] == ["professional"] * 3
    # The local part keeps its case (RFC 5321), so both spellings are kept.
    assert len(verdict.addresses) == 3
    mixed = check_recipients(
        [*professionals, f"{PATIENT_INS}@patient.mssante.fr"], ALLOWLIST, health_document=True
    )
    assert not mixed.accepted and mixed.code == "patient_with_professionals"


def test_empty_recipient_list_is_refused() -> None:
    verdict = check_recipients([], ALLOWLIST, health_document=False)
    assert (verdict.accepted, verdict.code) == (False, "no_recipients")


def test_mixing_trust_space_and_outside_recipients_is_refused() -> None:
    verdict = check_recipients(
        ["jean.martin@ch-exemple.mssante.fr", "jean.martin@gmail.com"],
        ALLOWLIST,
        health_document=False,
    )
    assert (verdict.accepted, verdict.code) == (False, "mixed_recipients")
    assert verdict.reason and "jean.martin@gmail.com" in verdict.reason
    assert verdict.verdicts[0].accepted and not verdict.verdicts[1].accepted


def test_mixing_a_patient_and_a_lookalike_recipient_is_refused_as_mixed() -> None:
    verdict = check_recipients(
        [f"{PATIENT_INS}@patient.mssante.fr", "x@mssante-fr.com"], ALLOWLIST, False
    )
    assert verdict.code == "mixed_recipients"


def test_only_outside_recipients_are_refused() -> None:
    verdict = check_recipients(["a@gmail.com", "b@orange.fr"], ALLOWLIST, False)
    assert (verdict.accepted, verdict.code) == (False, "recipient_refused")
    assert verdict.reason and verdict.reason.startswith("a@gmail.com")


def test_one_malformed_recipient_refuses_the_mail() -> None:
    verdict = check_recipients(
        ["jean.martin@ch-exemple.mssante.fr", "pas une adresse"], ALLOWLIST, False
    )
    assert (verdict.accepted, verdict.code) == (False, "recipient_refused")


def test_patient_with_an_invalid_ins_refuses_the_mail() -> None:
    verdict = check_recipients(
        ["jean.martin@ch-exemple.mssante.fr", "285037728417347@patient.mssante.fr"],
        ALLOWLIST,
        health_document=False,
    )
    assert (verdict.accepted, verdict.code) == (False, "recipient_refused")


def test_several_patients_are_refused_for_a_health_document() -> None:
    recipients = [f"{PATIENT_INS}@patient.mssante.fr", f"{OTHER_PATIENT_INS}@patient.mssante.fr"]
    verdict = check_recipients(recipients, ALLOWLIST, health_document=True)
    assert (verdict.accepted, verdict.code) == (False, "several_patients")
    assert verdict.reason and "un seul patient" in verdict.reason


def test_several_patients_are_allowed_for_a_plain_message() -> None:
    recipients = [f"{PATIENT_INS}@patient.mssante.fr", f"{OTHER_PATIENT_INS}@patient.mssante.fr"]
    assert check_recipients(recipients, ALLOWLIST, health_document=False).accepted


def test_same_patient_written_twice_counts_as_one_patient() -> None:
    recipients = [f"{PATIENT_INS}@patient.mssante.fr", f"{PATIENT_INS}@PATIENT.mssante.fr"]
    verdict = check_recipients(recipients, ALLOWLIST, health_document=True)
    assert verdict.accepted
    assert verdict.addresses == (f"{PATIENT_INS}@patient.mssante.fr",)
