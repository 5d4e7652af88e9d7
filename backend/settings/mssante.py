"""MSSanté: sending (outbox files or the operator's SMTP), receiving (Maildir or IMAP), DMP."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from backend.settings.base import PRODUCTION, VAR_DIR
from backend.settings.env import env, env_int, env_list

# --- MSSanté ---------------------------------------------------------------------------------
MSSANTE_TRANSPORT = env("MSSANTE_TRANSPORT", "smtp" if PRODUCTION else "outbox")
if MSSANTE_TRANSPORT not in {"outbox", "smtp"}:
    raise ImproperlyConfigured("MSSANTE_TRANSPORT must be 'outbox' or 'smtp'")
MSSANTE_OUTBOX_DIR = VAR_DIR / "outbox"
MSSANTE_SMTP_HOST = env("MSSANTE_SMTP_HOST", "127.0.0.1")
MSSANTE_SMTP_PORT = env_int("MSSANTE_SMTP_PORT", 587, minimum=1)
MSSANTE_SMTP_CA_FILE = env("MSSANTE_SMTP_CA_FILE")
MSSANTE_SMTP_CLIENT_CERT = env("MSSANTE_SMTP_CLIENT_CERT")
MSSANTE_SMTP_CLIENT_KEY = env("MSSANTE_SMTP_CLIENT_KEY")
# X-MSS-NIL: the product's reference on the ANS Convergence platform. The default is a
# placeholder: production refuses to send with it (backend/mssante/trust.py).
MSSANTE_SOFTWARE_REF_PLACEHOLDER = "LiaisonSante/0.1"
MSSANTE_SOFTWARE_REF = env("MSSANTE_SOFTWARE_REF", MSSANTE_SOFTWARE_REF_PLACEHOLDER)
# The platform's fixed OID as the XDM sourceId. The default (under the UUID arc 2.25) is for
# development and tests; production refuses to send health documents with it.
XDM_SOURCE_OID_PLACEHOLDER = "2.25.160631418095542372735546063434463553046"
XDM_SOURCE_OID = env("XDM_SOURCE_OID", XDM_SOURCE_OID_PLACEHOLDER)
# The DMP visibility offered by default for a minor's document (teleexpertise/filing.py).
DMP_MINOR_DEFAULT_VISIBILITY = env("DMP_MINOR_DEFAULT_VISIBILITY", "invisible_representatives")
if DMP_MINOR_DEFAULT_VISIBILITY not in {
    "normal",
    "invisible_patient",
    "masked_professionals",
    "invisible_representatives",
}:
    raise ImproperlyConfigured("DMP_MINOR_DEFAULT_VISIBILITY: unknown visibility")
MSSANTE_SMTP_TIMEOUT = env_int("MSSANTE_SMTP_TIMEOUT", 30, minimum=1)
MSSANTE_SMTP_HELO_NAME = env("MSSANTE_SMTP_HELO_NAME", "localhost")
# Patient mail is limited to 25 MB in total (MSSanté rule).
MSSANTE_MAX_MESSAGE_BYTES = env_int("MSSANTE_MAX_MESSAGE_BYTES", 25 * 1024 * 1024, minimum=1024)
MSSANTE_SENDING_LEASE_SECONDS = env_int("MSSANTE_SENDING_LEASE_SECONDS", 900, minimum=60)
MSSANTE_RETRY_DELAYS = tuple(
    int(v) for v in env_list("MSSANTE_RETRY_DELAYS", ["30", "120", "600", "1800", "3600", "7200"])
)
# Receiving (backend/mssante/inbox): IMAP of the operator, or Maildir folders under var/.
MSSANTE_CA_FILE = env("MSSANTE_CA_FILE", MSSANTE_SMTP_CA_FILE)  # the IGC-Santé chain
MSSANTE_CRL_FILE = env("MSSANTE_CRL_FILE")
# Both are required in production at connection time (backend/mssante/tls.py): a mailbox
# without them shows an error state, the rest of the platform runs.
MSSANTE_IMAP_HOST = env("MSSANTE_IMAP_HOST", "127.0.0.1")
MSSANTE_IMAP_PORT = env_int("MSSANTE_IMAP_PORT", 143, minimum=1)
MSSANTE_IMAP_TIMEOUT = env_int("MSSANTE_IMAP_TIMEOUT", 30, minimum=1)
MSSANTE_IDLE_SECONDS = env_int("MSSANTE_IDLE_SECONDS", 300, minimum=10)
MSSANTE_MAILDIR_DIR = VAR_DIR / "maildir"
MSSANTE_INBOX_MAX_BYTES = env_int("MSSANTE_INBOX_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# The test operators' password login (PER boxes only, for the operator tests without an OpenID
# provider and `make operator`; ORG boxes open with a member's PSC token); refused in production.
MSSANTE_TEST_PASSWORD = env("MSSANTE_TEST_PASSWORD", "mot-de-passe-de-test")
