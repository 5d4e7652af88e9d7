"""`manage.py import_annuaire FILE`: import an Annuaire Santé extraction (either format)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.directory import formats, importer

SUMMARY_LABELS = (
    ("lines", "lignes lues"),
    ("created", "entrées créées"),
    ("updated", "entrées mises à jour"),
    ("unchanged", "entrées inchangées"),
    ("merged", "lignes regroupées dans une entrée existante"),
    ("deactivated", "entrées désactivées (absentes du fichier)"),
    ("addresses_created", "adresses MSSanté créées"),
    ("addresses_updated", "adresses MSSanté mises à jour"),
    ("addresses_deactivated", "adresses MSSanté désactivées"),
    ("outside_trust_space", "adresses hors de l'espace de confiance (marquées non MSSanté)"),
    ("rejected", "lignes rejetées"),
)
SHOWN_REJECTIONS = 100
BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Importe une extraction de l'Annuaire Santé (correspondance MSSanté ou "
        "PS_LibreAcces Personne_activite), reconnue d'après sa ligne d'en-tête."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--batch-size", type=int, default=importer.BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="Sans barre de progression.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        show_bar = not options["no_progress"] and self.stdout.isatty()
        started = time.monotonic()

        def progress(done: int, total: int, lines: int) -> None:
            share = done / total if total else 1.0
            filled = int(share * BAR_WIDTH)
            rate = lines / max(time.monotonic() - started, 1e-6)
            self.stdout.write(
                f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:6.1%} "
                f"{lines:,} lignes ({rate:,.0f}/s)".replace(",", " "),
                ending="",
            )
            self.stdout.flush()

        try:
            result = importer.import_file(
                path, batch_size=options["batch_size"], progress=progress if show_bar else None
            )
        except formats.FormatError as exc:
            raise CommandError(str(exc)) from exc
        if show_bar:
            self.stdout.write("")
        self._summary(result, time.monotonic() - started)

    def _summary(self, result: importer.ImportResult, seconds: float) -> None:
        source = "correspondance MSSanté" if result.source == formats.MSSANTE else "PS_LibreAcces"
        resumed = " (reprise d'une importation interrompue)" if result.resumed else ""
        self.stdout.write(
            f"Import {source} n° {result.run_id} terminé en {seconds:.1f} s{resumed}."
        )
        for name, label in SUMMARY_LABELS:
            if name.startswith("addresses_") and result.source != formats.MSSANTE:
                continue
            self.stdout.write(f"  {label} : {result.counts.get(name, 0)}")
        rejected = result.counts.get("rejected", 0)
        for number, reason in result.rejections[:SHOWN_REJECTIONS]:
            self.stdout.write(f"  ligne {number} : {reason}")
        if rejected > SHOWN_REJECTIONS:
            self.stdout.write(f"  … et {rejected - SHOWN_REJECTIONS} autres lignes rejetées.")
        if rejected == result.counts.get("lines", 0) and rejected:
            self.stderr.write("Aucune ligne valide : aucune entrée n'a été désactivée.")
