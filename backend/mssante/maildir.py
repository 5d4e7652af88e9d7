"""The embedded mode's mailboxes: one Maildir folder per address under MSSANTE_MAILDIR_DIR,
written by the sending side (transport.py, a mail to a mailbox of this platform) and read by
the inbox (inbox/fetch.py)."""

from __future__ import annotations

import mailbox as maildir_lib
from pathlib import Path

from django.conf import settings

__all__ = ["maildir_path", "open_maildir"]


def maildir_path(address: str) -> Path:
    return Path(settings.MSSANTE_MAILDIR_DIR) / address.lower()


def open_maildir(address: str) -> maildir_lib.Maildir:
    """The Maildir of a mailbox in embedded mode (created with its parents when missing)."""
    path = maildir_path(address)
    path.parent.mkdir(parents=True, exist_ok=True)
    return maildir_lib.Maildir(path, create=True)
