"""Which addresses a health mail may go to: the MSSanté trust space rules.

- a professional address is accepted when its domain is trusted (see ``allowlist``);
- a patient address is ``<INS>@patient.mssante.fr`` and its local part must be a valid INS. Whether
  that INS is *qualified* (QUAL) is a property of the patient record, checked by the caller;
- one mail never mixes trust-space and outside recipients, and a health-document mail concerns
  one patient only.

Codes are snake_case (API error codes), reasons are French sentences shown to the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from backend.mssante.allowlist import PATIENT_DOMAIN, is_trusted_domain, is_valid_domain
from backend.patients.ins import InsError, parse_ins

__all__ = [
    "AddressCode",
    "AddressKind",
    "AddressVerdict",
    "RecipientsCode",
    "RecipientsVerdict",
    "address_syntax_error",
    "check_address",
    "check_recipients",
]

AddressKind = Literal["professional", "patient"]
AddressCode = Literal[
    "malformed",
    "outside_trust_space",
    "lookalike_domain",
    "patient_ins_invalid",
    "patient_subdomain",
    "relay_local_part",
]
RecipientsCode = Literal[
    "no_recipients",
    "recipient_refused",
    "mixed_recipients",
    "several_patients",
    "patient_with_professionals",
]

# RFC 5321 limits: 64 for the local part, 254 for a whole path-usable address.
_MAX_LOCAL = 64
_MAX_ADDRESS = 254
# Dot-atom local part (RFC 5322 atext), ASCII only: no quoted strings, no SMTPUTF8.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_RE = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")


@dataclass(frozen=True)
class AddressVerdict:
    """Outcome of ``check_address``; ``address`` is normalised (trimmed, domain lower-cased)."""

    address: str
    accepted: bool
    kind: AddressKind | None = None
    code: AddressCode | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RecipientsVerdict:
    """Outcome of ``check_recipients``; ``addresses`` are the distinct normalised addresses."""

    accepted: bool
    verdicts: tuple[AddressVerdict, ...]
    code: RecipientsCode | None = None
    reason: str | None = None

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.address for v in self.verdicts))


def _refuse(address: str, code: AddressCode, reason: str) -> AddressVerdict:
    return AddressVerdict(address=address, accepted=False, code=code, reason=reason)


# A display name, quotes, brackets or whitespace (``\s`` is str.isspace for str patterns); one
# regex rather than a scan per character: the directory import checks 500,000 addresses.
_DISPLAY_OR_SPACE = re.compile(r'[<>"(),;:\[\]\\\s]')


def address_syntax_error(address: str) -> str | None:
    """French reason why ``address`` is not a plain ``local@domain`` address, or None."""
    if not address:
        return "L'adresse est vide."
    if len(address) > _MAX_ADDRESS:
        return f"L'adresse est trop longue ({len(address)} caractères, {_MAX_ADDRESS} au plus)."
    if _DISPLAY_OR_SPACE.search(address):
        return (
            "Saisissez l'adresse seule, sans nom affiché, espace, guillemets ni chevrons "
            "(exemple : prenom.nom@hopital.mssante.fr)."
        )
    if address.count("@") != 1:
        return "L'adresse doit contenir exactement un « @ »."
    local, domain = address.split("@")
    if not local or not domain:
        return "L'adresse doit avoir une partie avant et après le « @ »."
    if len(local) > _MAX_LOCAL:
        return f"La partie avant le « @ » dépasse {_MAX_LOCAL} caractères."
    if not _LOCAL_RE.fullmatch(local):
        return "La partie avant le « @ » contient des caractères ou des points non autorisés."
    if not is_valid_domain(domain.lower()):
        return f"Le domaine « {domain} » n'est pas un nom de domaine valide."
    return None


def _looks_like_mssante(domain: str) -> bool:
    # "mssante.fr.example.com", "mssante-fr.com", "xmssante.fr", "ms-sante.fr" ...
    return "mssante" in re.sub(r"[^a-z0-9]", "", domain)


def check_address(address: str, allowlist: frozenset[str]) -> AddressVerdict:
    """Decide whether ``address`` may receive health data through MSSanté."""
    raw = address.strip()
    problem = address_syntax_error(raw)
    if problem is not None:
        return _refuse(raw, "malformed", problem)
    local, domain = raw.split("@")
    domain = domain.lower()
    normalised = f"{local}@{domain}"
    if "%" in local:
        # "user%other.example@relay": source routing through a relay, out of the trust space.
        return _refuse(
            normalised,
            "relay_local_part",
            "Une adresse contenant « % » (relais vers une autre messagerie) n'est pas acceptée.",
        )
    if domain.endswith("." + PATIENT_DOMAIN):
        return _refuse(
            normalised,
            "patient_subdomain",
            f"Les adresses patients sont de la forme <INS>@{PATIENT_DOMAIN}, sans sous-domaine.",
        )

    if domain == PATIENT_DOMAIN:
        try:
            info = parse_ins(local)
        except InsError as exc:
            return _refuse(
                normalised,
                "patient_ins_invalid",
                "Une adresse patient MSSanté est formée du matricule INS du patient suivi de "
                f"@{PATIENT_DOMAIN} ; ici le matricule n'est pas valide : {exc.message}",
            )
        return AddressVerdict(address=info.mssante_address, accepted=True, kind="patient")

    if is_trusted_domain(domain, allowlist):
        return AddressVerdict(address=normalised, accepted=True, kind="professional")
    if _looks_like_mssante(domain):
        return _refuse(
            normalised,
            "lookalike_domain",
            f"Le domaine « {domain} » ressemble à MSSanté mais n'appartient pas à l'espace de "
            "confiance : vérifiez l'adresse dans l'Annuaire Santé, ce n'est pas une adresse "
            "MSSanté.",
        )
    return _refuse(
        normalised,
        "outside_trust_space",
        f"Le domaine « {domain} » est hors de l'espace de confiance MSSanté : aucune donnée de "
        "santé ne peut y être envoyée. Utilisez l'adresse MSSanté du destinataire.",
    )


def check_recipients(
    addresses: list[str], allowlist: frozenset[str], health_document: bool
) -> RecipientsVerdict:
    """Check every recipient of one mail, then the rules on the set of recipients."""
    verdicts = tuple(check_address(a, allowlist) for a in addresses)
    if not verdicts:
        return RecipientsVerdict(
            False, verdicts, "no_recipients", "Indiquez au moins un destinataire."
        )
    outside = [v for v in verdicts if v.code in ("outside_trust_space", "lookalike_domain")]
    # Addresses with a trusted domain, including a patient address whose INS is mistyped.
    inside = [v for v in verdicts if v.accepted or v.code == "patient_ins_invalid"]
    if outside and inside:
        names = ", ".join(v.address for v in outside)
        return RecipientsVerdict(
            False,
            verdicts,
            "mixed_recipients",
            "Un message ne peut pas mêler des destinataires de l'espace de confiance MSSanté et "
            f"des adresses extérieures ({names}) : retirez-les.",
        )
    refused = [v for v in verdicts if not v.accepted]
    if refused:
        first = refused[0]
        return RecipientsVerdict(
            False, verdicts, "recipient_refused", f"{first.address} : {first.reason}"
        )
    patients = {v.address for v in verdicts if v.kind == "patient"}
    if patients and any(v.kind == "professional" for v in verdicts):
        return RecipientsVerdict(
            False,
            verdicts,
            "patient_with_professionals",
            "Un message à un patient ne peut pas être adressé en même temps à des "
            "professionnels : envoyez-leur un message séparé.",
        )
    if health_document and len(patients) > 1:
        return RecipientsVerdict(
            False,
            verdicts,
            "several_patients",
            "Un envoi de document de santé ne concerne qu'un seul patient : envoyez un message "
            "par patient.",
        )
    return RecipientsVerdict(True, verdicts)
