"""``manage.py mssante_inbox_worker``: fetch every connected mailbox continuously (IDLE)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from backend.mssante.inbox.worker import run


class Command(BaseCommand):
    help = "Relève en continu les BAL MSSanté connectées (IMAP IDLE, sinon relève périodique)."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        run(stop)
