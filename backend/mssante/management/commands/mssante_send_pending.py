"""``manage.py mssante_send_pending``: (re)schedule the MSSanté mails whose attempt is due."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from backend.mssante.tasks import send_pending


class Command(BaseCommand):
    help = "Relance l'envoi des messages MSSanté en attente dont l'échéance est passée."

    def handle(self, *args: Any, **options: Any) -> None:
        count = send_pending()
        self.stdout.write(f"{count} envoi(s) MSSanté relancé(s).")
