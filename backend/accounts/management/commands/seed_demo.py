from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend import demo


class Command(BaseCommand):
    help = "Crée (ou complète) les données de démonstration générées. Refusé en production."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo est refusé en production (PLATFORM_ENV=production).")
        counts = demo.seed()
        from backend.mssante.inbox.demo import seed_inbox

        counts["courriers MSSanté reçus"] = seed_inbox()
        summary = ", ".join(f"{value} {name}" for name, value in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Données de démonstration prêtes : {summary}."))
        self.stdout.write(f"Comptes : {', '.join(p.username for p in demo.PEOPLE)}")
        self.stdout.write(f"Mot de passe : {demo.DEMO_PASSWORD}")
