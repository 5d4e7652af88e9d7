"""Fetching a mailbox: IMAP with STARTTLS (référentiel #2) or a local Maildir (embedded mode).

IMAP: STARTTLS is mandatory (TLS 1.2+, ECO suites, IGC-Santé bundle and CRL: ``tls.py``),
then XOAUTH2 with a Pro Santé Connect token (PER: the owner's; ORG: a member's, which the
operator accepts for the members it knows), the client certificate (APP), or a password on the
test operators only. New mails are those above the stored UID for the same UIDVALIDITY; they are
downloaded in groups (one IMAP command per group, bounded in count and bytes) and stored one by
one in UID order (``store_fetched``), each with the cursor in its own transaction, so a fetch
killed mid-way resumes at the first mail not stored. A mail larger than the bound is not downloaded:
its headers are stored, quarantined with the reason, and it stays on the server.
A connection failure is recorded as the mailbox's state and never raised to the caller.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from backend.mssante.inbox import tokens
from backend.mssante.inbox.actions import schedule_processing, store_fetched
from backend.mssante.inbox.models import MailboxConnection
from backend.mssante.inbox.parse import max_bytes
from backend.mssante.maildir import maildir_path, open_maildir
from backend.mssante.tls import client_context
from backend.mssante.trust import current_allowlist

__all__ = [
    "FetchError",
    "FetchResult",
    "fetch_connection",
    "maildir_path",
    "open_imap",
    "open_maildir",
]

logger = logging.getLogger(__name__)
C = MailboxConnection
_BATCH = 50  # mails per IMAP command
_BATCH_BYTES = 8 * 1024 * 1024  # bytes downloaded per command at most (then stored one by one)


NO_SIGNED_IN_MEMBER = "Aucun jeton Pro Santé Connect valide pour cette BAL."
REFUSED_BY_OPERATOR = (
    "Jeton Pro Santé Connect refusé par l'opérateur (expiré, révoqué, ou sans droit sur "
    "cette BAL) : reconnectez-vous avec Pro Santé Connect."
)


class FetchError(Exception):
    pass


@dataclass
class FetchResult:
    stored: int = 0
    skipped: int = 0
    error: str = ""


def _context(connection: MailboxConnection) -> ssl.SSLContext:
    certificate = connection.auth == C.Auth.CERTIFICATE
    return client_context(
        ca_file=settings.MSSANTE_CA_FILE or None,
        crl_file=settings.MSSANTE_CRL_FILE or None,
        client_cert=(connection.client_cert or None) if certificate else None,
        client_key=(connection.client_key or None) if certificate else None,
    )


def open_imap(connection: MailboxConnection) -> imaplib.IMAP4:
    """A logged-in IMAP session on the mailbox (STARTTLS first, never in clear)."""
    address = connection.mailbox.address
    host = connection.imap_host or settings.MSSANTE_IMAP_HOST
    port = connection.imap_port or settings.MSSANTE_IMAP_PORT
    imap = imaplib.IMAP4(str(host), int(port), timeout=settings.MSSANTE_IMAP_TIMEOUT)
    try:
        if "STARTTLS" not in imap.capabilities:
            raise FetchError("Le serveur IMAP ne propose pas STARTTLS : connexion refusée.")
        imap.starttls(ssl_context=_context(connection))
        if connection.auth == C.Auth.XOAUTH2:
            _xoauth2(imap, connection.mailbox)
        elif connection.auth == C.Auth.CERTIFICATE:
            # The operator takes the identity from the certificate; LOGIN carries the address.
            imap.login(address, "certificat")
        else:
            if settings.PRODUCTION:
                raise FetchError("L'authentification par mot de passe est refusée en production.")
            imap.login(address, str(settings.MSSANTE_TEST_PASSWORD))
    except BaseException:
        with suppress(OSError):
            imap.shutdown()
        raise
    return imap


class _Xoauth2:
    """SASL XOAUTH2 exchange: the initial response, then an empty line when the server
    answers with its error details (RFC 7628 style) before refusing."""

    def __init__(self, address: str, token: str) -> None:
        self.initial = f"user={address}\x01auth=Bearer {token}\x01\x01".encode()
        self.sent = False

    def __call__(self, _challenge: bytes) -> bytes:
        if self.sent:
            return b""
        self.sent = True
        return self.initial


def _xoauth2(imap: imaplib.IMAP4, mailbox: Any, actor: Any = None) -> None:
    """Log in with the first token the operator accepts: the owner's for a PER mailbox, a
    member's for an ORG mailbox (the operator accepts only the members it knows)."""
    tried = 0
    for token in tokens.mailbox_tokens(mailbox, actor):
        tried += 1
        try:
            imap.authenticate("XOAUTH2", _Xoauth2(mailbox.address, token))
        except imaplib.IMAP4.abort:
            break  # the server closed the session: no other token can be tried on it
        except imaplib.IMAP4.error:
            continue
        return
    if not tried:
        raise FetchError(NO_SIGNED_IN_MEMBER)
    raise FetchError(REFUSED_BY_OPERATOR)


def _uidvalidity(imap: imaplib.IMAP4) -> int:
    _, data = imap.response("UIDVALIDITY")
    if not data or data[0] is None:
        raise FetchError("Le serveur n'a pas donné d'UIDVALIDITY.")
    return int(data[0])


def _new_uids(imap: imaplib.IMAP4, after: int) -> list[int]:
    typ, data = imap.uid("SEARCH", f"UID {after + 1}:*")
    if typ != "OK":
        raise FetchError("Recherche IMAP refusée.")
    # "n:*" always matches the last mail, even below n: keep only the new ones.
    return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > after)


def _sizes(imap: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    """UID -> size on the server, for a batch of UIDs (one command)."""
    typ, data = imap.uid("FETCH", ",".join(map(str, uids)), "(RFC822.SIZE)")
    if typ != "OK":
        return {}
    sizes = {}
    for line in data or []:
        text = line[0] if isinstance(line, tuple) else line
        uid = re.search(rb"UID (\d+)", text or b"")
        size = re.search(rb"RFC822\.SIZE (\d+)", text or b"")
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _bodies(imap: imaplib.IMAP4, uids: list[int], part: str) -> dict[int, bytes]:
    """UID -> the fetched ``part`` of each mail of a batch (one command)."""
    typ, data = imap.uid("FETCH", ",".join(map(str, uids)), f"(UID {part})")
    if typ != "OK":
        return {}
    found = {}
    for item in data or []:
        if isinstance(item, tuple):
            uid = re.search(rb"UID (\d+)", item[0])
            if uid:
                found[int(uid.group(1))] = bytes(item[1])
    return found


def _groups(uids: list[int], sizes: dict[int, int]) -> Iterator[tuple[list[int], str]]:
    """Consecutive groups of UIDs to download together: at most ``_BATCH`` mails and
    ``_BATCH_BYTES`` per group; a mail above the size bound alone, headers only."""
    bound = max_bytes()
    group: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid)
        if size is None:
            continue  # expunged meanwhile
        if size > bound:
            if group:
                yield group, "BODY.PEEK[]"
                group, total = [], 0
            # Too large: headers only; store_fetched quarantines it with its real size.
            yield [uid], "BODY.PEEK[HEADER]"
            continue
        if group and (len(group) >= _BATCH or total + size > _BATCH_BYTES):
            yield group, "BODY.PEEK[]"
            group, total = [], 0
        group.append(uid)
        total += size
    if group:
        yield group, "BODY.PEEK[]"


def _fetch_imap(connection: MailboxConnection, result: FetchResult) -> None:
    imap = open_imap(connection)
    allowlist = current_allowlist()  # read once per pass, not once per mail
    try:
        typ, _ = imap.select("INBOX")
        if typ != "OK":
            raise FetchError("Dossier INBOX inaccessible.")
        validity = _uidvalidity(imap)
        after = connection.last_uid if connection.uidvalidity == validity else 0
        uids = _new_uids(imap, after)
        for start in range(0, len(uids), _BATCH):
            batch = uids[start : start + _BATCH]
            sizes = _sizes(imap, batch)
            for group, part in _groups(batch, sizes):
                bodies = _bodies(imap, group, part)
                processing: list[Any] = []
                try:
                    # Stored one by one, in UID order, each with the cursor in its own
                    # transaction; their follow-up is one task for the group.
                    for uid in group:
                        if uid not in bodies:
                            continue
                        stored = store_fetched(
                            connection.mailbox,
                            bodies.pop(uid),
                            connection=connection,
                            uidvalidity=validity,
                            uid=uid,
                            size=sizes[uid],
                            allowlist=allowlist,
                            processing=processing,
                        )
                        result.stored += stored is not None
                        result.skipped += stored is None
                finally:
                    schedule_processing(processing)
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            imap.logout()


def _fetch_maildir(connection: MailboxConnection, result: FetchResult) -> None:
    box = open_maildir(connection.mailbox.address)
    for key in sorted(box.iterkeys()):
        message = box.get_message(key)
        if message.get_subdir() == "cur" and "S" in message.get_flags():
            continue  # seen: stored by an earlier pass (the source key also guards it)
        raw = message.as_bytes()
        stored = store_fetched(connection.mailbox, raw, connection=connection, source_key=key)
        result.stored += stored is not None
        result.skipped += stored is None
        # Only after the row is committed: a crash before this line re-reads, and skips, it.
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message


def _record_state(connection: MailboxConnection, error: str) -> None:
    state = C.State.ERROR if error else C.State.OK
    if error in (NO_SIGNED_IN_MEMBER, REFUSED_BY_OPERATOR):
        state = C.State.WAITING  # waits for a member to sign in with a valid token
    C.objects.filter(pk=connection.pk).update(
        state=state, last_error=error[:500], checked_at=timezone.now()
    )


def fetch_connection(connection_id: int) -> FetchResult:
    """Fetch one mailbox; errors become the mailbox's state (never raised)."""
    connection = C.objects.select_related("mailbox").get(pk=connection_id)
    result = FetchResult()
    try:
        if connection.source == C.Source.IMAP:
            _fetch_imap(connection, result)
        else:
            _fetch_maildir(connection, result)
    except (FetchError, ImproperlyConfigured) as exc:
        result.error = str(exc)
    except ssl.SSLError as exc:
        result.error = f"Échec de la négociation TLS avec l'opérateur ({exc.reason or exc})."
    except imaplib.IMAP4.error as exc:
        result.error = f"Connexion refusée par l'opérateur ({exc})."
    except (TimeoutError, OSError) as exc:
        result.error = f"Opérateur MSSanté injoignable ({exc})."
    _record_state(connection, result.error)
    if result.error:
        logger.warning("mssante inbox: fetch of mailbox %s failed", connection.mailbox_id)
    return result
