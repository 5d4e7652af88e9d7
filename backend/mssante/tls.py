"""The TLS client context of every MSSanté connection (référentiel #2, ECO.1.1.3).

TLS 1.2 at least, the four ECO suites for TLS 1.2, the server certificate checked against the
configured IGC-Santé bundle only (the system store only outside production, when no bundle is
set), its host name checked, revocation checked against the configured CRL of the issuing
authority, and the client certificate of an APP mailbox when given.
"""

from __future__ import annotations

import ssl

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["ECO_CIPHERS", "client_context"]

ECO_CIPHERS = (
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256"
)


def client_context(
    *,
    ca_file: str | None = None,
    crl_file: str | None = None,
    client_cert: str | None = None,
    client_key: str | None = None,
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(ECO_CIPHERS)
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    elif settings.PRODUCTION:
        raise ImproperlyConfigured("MSSANTE_CA_FILE : la chaîne IGC-Santé est obligatoire.")
    else:
        context.load_default_certs()
    if not crl_file and getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured("MSSANTE_CRL_FILE : la liste de révocation est obligatoire.")
    if crl_file:
        context.load_verify_locations(cafile=crl_file)
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if client_cert:
        context.load_cert_chain(client_cert, client_key or None)
    return context
