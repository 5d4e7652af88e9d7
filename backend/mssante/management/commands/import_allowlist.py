"""``manage.py import_allowlist FILE``: load the ANS ``listeblanchemssante.xml``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.mssante.actions import import_allowlist
from backend.mssante.allowlist import AllowlistError, parse_allowlist


class Command(BaseCommand):
    help = "Importe la liste blanche des domaines MSSanté (fichier XML publié par l'ANS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="chemin de listeblanchemssante.xml")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            domains = parse_allowlist(path)
        except AllowlistError as exc:
            raise CommandError(exc.message) from exc
        count = import_allowlist(domains, source=str(path))
        self.stdout.write(f"{count} domaines importés dans la liste blanche MSSanté.")
