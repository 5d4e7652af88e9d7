"""``manage.py mssante_fetch [--mailbox ADDRESS]``: one fetch pass of the connected mailboxes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backend.mssante.inbox.fetch import fetch_connection
from backend.mssante.inbox.models import MailboxConnection


class Command(BaseCommand):
    help = "Relève les BAL MSSanté connectées (une passe)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="adresse de la BAL (toutes par défaut)")

    def handle(self, *args: Any, **options: Any) -> None:
        connections = MailboxConnection.objects.filter(mailbox__active=True)
        if options["mailbox"]:
            connections = connections.filter(mailbox__address=options["mailbox"].lower())
        for connection in connections:
            result = fetch_connection(connection.pk)
            state = result.error or "ok"
            self.stdout.write(f"{connection.mailbox_id}: {result.stored} nouveau(x) — {state}")
