"""The allow-list in force: the imported ANS list, or the shipped default until one is imported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from backend.errors import DomainError, Kind
from backend.mssante.addresses import AddressVerdict, RecipientsVerdict, check_address
from backend.mssante.addresses import check_recipients as check_recipients_with
from backend.mssante.allowlist import default_allowlist
from backend.mssante.models import TrustedDomain

__all__ = [
    "AllowlistStatus",
    "allowlist_status",
    "check_address_now",
    "check_recipients_now",
    "current_allowlist",
    "require_sending_configured",
]

# The ANS publishes the allow-list daily; a copy older than this is flagged (readyz, metrics).
ALLOWLIST_MAX_AGE = timedelta(days=7)


def current_allowlist() -> frozenset[str]:
    """Domains of the last ``import_allowlist``; the shipped list when none was imported.

    Whatever the list, ``*.mssante.fr`` and the Apicrypt interop gateway stay trusted (see
    ``allowlist.is_trusted_domain``). Read from the database on each call, so every process
    agrees right after an import.
    """
    imported = frozenset(TrustedDomain.objects.values_list("domain", flat=True))
    return imported or default_allowlist()


def check_address_now(address: str) -> AddressVerdict:
    return check_address(address, current_allowlist())


def check_recipients_now(addresses: list[str], *, health_document: bool) -> RecipientsVerdict:
    return check_recipients_with(addresses, current_allowlist(), health_document)


@dataclass(frozen=True)
class AllowlistStatus:
    imported: bool
    age: timedelta | None

    @property
    def stale(self) -> bool:
        return self.age is None or self.age > ALLOWLIST_MAX_AGE

    @property
    def label(self) -> str:
        if not self.imported:
            return "missing"
        return "stale" if self.stale else "ok"


def allowlist_status() -> AllowlistStatus:
    last = TrustedDomain.objects.aggregate(last=Max("imported_at"))["last"]
    return AllowlistStatus(imported=last is not None, age=timezone.now() - last if last else None)


def _not_configured(code: str, message: str) -> DomainError:
    return DomainError(code, message, Kind.UNAVAILABLE)


def require_sending_configured(*, health_document: bool) -> None:
    """Production sends nothing until the platform is set up for the trust space: an imported
    ANS allow-list (the shipped copy is only for development), a real X-MSS-NIL software
    reference, and for health documents the platform's own XDM source OID."""
    if not getattr(settings, "PRODUCTION", False):
        return
    if not allowlist_status().imported:
        raise _not_configured(
            "allowlist_missing",
            "La liste blanche MSSanté de l'ANS n'a pas été importée : aucun envoi n'est possible "
            "(manage.py import_allowlist).",
        )
    if settings.MSSANTE_SOFTWARE_REF == settings.MSSANTE_SOFTWARE_REF_PLACEHOLDER:
        raise _not_configured(
            "software_ref_placeholder",
            "La référence logiciel MSSanté (X-MSS-NIL) n'est pas configurée : envoi impossible.",
        )
    if health_document and settings.XDM_SOURCE_OID == settings.XDM_SOURCE_OID_PLACEHOLDER:
        raise _not_configured(
            "xdm_source_placeholder",
            "L'OID de la plateforme (sourceId XDM) n'est pas configuré : envoi impossible.",
        )
