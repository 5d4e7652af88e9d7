"""The inbox worker: one thread per connected mailbox, IMAP IDLE with a polling fallback.

Each thread fetches its mailbox, then waits for the server to announce new mail (IDLE, RFC
2177) for at most ``MSSANTE_IDLE_SECONDS``; a server without IDLE, a Maildir, or a connection
error falls back to waiting that long (polling). Killing the worker at any moment loses
nothing: fetching resumes from the cursor stored with the last mail (see fetch.py).
"""

from __future__ import annotations

import imaplib
import logging
import threading
from contextlib import suppress

from django.conf import settings
from django.db import close_old_connections

from backend.mssante.inbox.fetch import FetchError, fetch_connection, open_imap
from backend.mssante.inbox.models import MailboxConnection

__all__ = ["idle_wait", "run"]

logger = logging.getLogger(__name__)


def idle_wait(imap: imaplib.IMAP4, seconds: float) -> bool:
    """Block in IDLE until the server reports a change or ``seconds`` pass; True on change."""
    tag = imap._new_tag().decode()  # imaplib has no IDLE before Python 3.14
    imap.send(f"{tag} IDLE\r\n".encode())
    if not imap.readline().startswith(b"+"):
        return False
    sock = imap.socket()
    sock.settimeout(seconds)
    changed = False
    try:
        line = imap.readline()
        changed = b"EXISTS" in line or b"RECENT" in line
    except TimeoutError:
        pass
    finally:
        sock.settimeout(settings.MSSANTE_IMAP_TIMEOUT)
        imap.send(b"DONE\r\n")
        while True:  # drain until the IDLE command completes
            line = imap.readline()
            if not line or line.startswith(tag.encode()):
                break
    return changed


def _wait(connection: MailboxConnection, stop: threading.Event) -> None:
    seconds = settings.MSSANTE_IDLE_SECONDS
    if connection.source != MailboxConnection.Source.IMAP:
        stop.wait(seconds)
        return
    try:
        imap = open_imap(connection)
    except (FetchError, OSError, imaplib.IMAP4.error):
        stop.wait(seconds)
        return
    try:
        if b"IDLE" not in b" ".join(c.encode() for c in imap.capabilities):
            stop.wait(seconds)
            return
        imap.select("INBOX", readonly=True)
        idle_wait(imap, seconds)
    except (OSError, imaplib.IMAP4.error):
        stop.wait(seconds)
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


def _loop(connection_id: int, stop: threading.Event) -> None:
    while not stop.is_set():
        close_old_connections()
        try:
            fetch_connection(connection_id)
            connection = MailboxConnection.objects.select_related("mailbox").get(pk=connection_id)
        except MailboxConnection.DoesNotExist:
            return
        _wait(connection, stop)


def run(stop: threading.Event) -> None:
    ids = list(MailboxConnection.objects.filter(mailbox__active=True).values_list("pk", flat=True))
    threads = [
        threading.Thread(target=_loop, args=(pk, stop), daemon=True, name=f"inbox-{pk}")
        for pk in ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
