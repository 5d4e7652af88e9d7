"""Helpers of the inbox tests: wait for a delivery in an operator's Maildir."""

from __future__ import annotations

import time
from pathlib import Path


def wait_for_mail(maildir: Path, needle: str, timeout: float = 60) -> bytes:
    """The first mail of ``maildir`` (new/ or cur/) containing ``needle``.

    Delivery by the operators' queues is asynchronous and gives no signal to wait on other than
    the file appearing; this polls the directory (the bound is a failure, not a measure).
    """
    deadline = time.monotonic() + timeout
    wanted = needle.encode()
    while time.monotonic() < deadline:
        for folder in ("new", "cur"):
            directory = maildir / folder
            if directory.is_dir():
                for path in sorted(directory.iterdir()):
                    data = path.read_bytes()
                    if wanted in data:
                        return data
        time.sleep(0.2)
    raise AssertionError(f"aucun courrier contenant {needle!r} dans {maildir}")
