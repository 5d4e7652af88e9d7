"""The allow-list in force: the imported ANS list, or the shipped default until one is imported."""

from __future__ import annotations

from backend.mssante.addresses import AddressVerdict, RecipientsVerdict, check_address
from backend.mssante.addresses import check_recipients as check_recipients_with
from backend.mssante.allowlist import default_allowlist
from backend.mssante.models import TrustedDomain

__all__ = ["check_address_now", "check_recipients_now", "current_allowlist"]


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
