"""Scheduled directory import. Idempotent: re-running on the same file changes nothing, and a run
killed half-way (time limit, lost worker) is resumed by the next one on the same file."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from backend.directory import importer

# The national extractions take minutes: the project's default 10-minute limit is for
# interactive tasks, so this one carries its own.
IMPORT_TIME_LIMIT = 4 * 3600


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
    time_limit=IMPORT_TIME_LIMIT,
    soft_time_limit=IMPORT_TIME_LIMIT - 60,
)
def import_annuaire(path: str) -> dict[str, int]:
    """Import the extraction at ``path`` (a file readable by the worker); returns the counts.

    Schedule it with Celery beat, e.g. in settings::

        CELERY_BEAT_SCHEDULE = {"annuaire-mssante": {
            "task": "backend.directory.tasks.import_annuaire",
            "schedule": crontab(hour=3, minute=0),
            "args": ["/data/annuaire/Extraction_Correspondance_MSSante.txt"]}}
    """
    return importer.import_file(path).counts
