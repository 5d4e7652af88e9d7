"""The directory: entries imported from the Annuaire Santé extractions plus the platform's own.

Entries are never deleted: an entry absent from a newer extraction is marked inactive, so ids stay
stable and a re-appearing professional gets the same entry back. Search runs on the ``*_norm``
columns, accent- and case-folded on write (see ``text.search_columns``); PostgreSQL adds GIN
indexes of their words (``wordindex``, migration 0005) and ordered indexes for the ranked pages
(migration 0004), SQLite scans, which is fine at development sizes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ImportRun(models.Model):
    """One run of ``import_annuaire`` on one file. Batches commit their progress here, so an
    interrupted run of the same file resumes after the last committed line."""

    class Status(models.TextChoices):
        RUNNING = "running", "En cours"
        DONE = "done", "Terminée"
        ABANDONED = "abandoned", "Abandonnée"

    source = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    last_line = models.PositiveIntegerField(default=1, help_text="Dernière ligne validée.")
    counts = models.JSONField(default=dict, blank=True)
    # Line numbers and reason codes only, capped (see importer.MAX_STORED_REJECTIONS).
    rejections = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One run in progress per source: two imports of one source would deactivate each
            # other's rows.
            models.UniqueConstraint(
                fields=["source"], condition=Q(status="running"), name="importrun_one_running"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name} ({self.status})"


class DirectoryEntry(models.Model):
    class Source(models.TextChoices):
        MSSANTE = "mssante", "Extraction correspondance MSSanté"
        PS = "ps", "PS_LibreAcces Personne_activite"
        PLATFORM = "platform", "Plateforme"

    class Kind(models.TextChoices):
        PERSON = "person", "Professionnel"
        MAILBOX = "mailbox", "BAL de structure"

    # Source-qualified natural key: "mssante:pp:<national id>:<structure>", "mssante:bal:<address>",
    # "ps:<national id>:<structure>", "platform:pro:<uuid>", "platform:bal:<uuid>".
    # Unique by a constraint, not ``unique=True``, which on PostgreSQL also builds a second,
    # ``LIKE`` B-tree that no query uses (the import profile: each index costs every new row).
    key = models.CharField(max_length=300)
    source = models.CharField(max_length=16, choices=Source.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERSON)
    national_id = models.CharField(max_length=12, blank=True)
    rpps = models.CharField(max_length=11, blank=True)
    title = models.CharField(max_length=40, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    given_name = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=300)
    profession_code = models.CharField(max_length=8, blank=True)
    profession_label = models.CharField(max_length=200, blank=True)
    specialty = models.CharField(max_length=200, blank=True)
    organization_name = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=5, blank=True)
    # Searched, never shown: a mailbox's service, address lines and address words.
    keywords = models.CharField(max_length=500, blank=True)
    # Folded search columns, filled by ``text.search_columns``.
    name_norm = models.CharField(max_length=400, blank=True)  # "given family"
    family_norm = models.CharField(max_length=200, blank=True)
    given_norm = models.CharField(max_length=200, blank=True)
    rev_norm = models.CharField(max_length=400, blank=True)  # "family given"
    # " every word a user may type": name, structure, profession forms, keywords.
    search_norm = models.CharField(max_length=1200, blank=True)
    profession_norm = models.CharField(max_length=400, blank=True)
    city_norm = models.CharField(max_length=200, blank=True)
    has_mssante = models.BooleanField(default=False)
    listing = models.PositiveSmallIntegerField(
        default=1, help_text="0 : plateforme, listée d'abord."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Pour les entrées de la plateforme : le compte à qui écrire directement.",
    )
    active = models.BooleanField(default=True)
    # Plain id, no foreign key: marking 500,000 rows must not also check a constraint each.
    last_seen_import = models.BigIntegerField(null=True, blank=True)
    row_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "entrée de l'annuaire"
        verbose_name_plural = "entrées de l'annuaire"
        constraints = [models.UniqueConstraint(fields=["key"], name="directory_entry_key")]
        # No (family_norm, given_norm) index: the ranked order is directory_entry_ranked
        # (migration 0004) and a family name is found by directory_entry_family_prefix.
        indexes = [
            models.Index(fields=["source", "active"], name="directory_entry_source"),
            models.Index(fields=["rpps"], name="directory_entry_rpps"),
            models.Index(fields=["postcode"], name="directory_entry_postcode"),
            models.Index(fields=["profession_code"], name="directory_entry_profession"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.source})"


class DirectoryAddress(models.Model):
    """An MSSanté address read from the correspondence extraction (the file's key). The platform's
    own mailboxes are not copied here: they are read live from ``accounts.Mailbox``."""

    address = models.CharField(max_length=254)  # unique: see Meta
    entry = models.ForeignKey(DirectoryEntry, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=3)  # PER / ORG / APP
    active = models.BooleanField(default=True)
    last_seen_import = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "adresse MSSanté de l'annuaire"
        constraints = [models.UniqueConstraint(fields=["address"], name="directory_address_unique")]
        verbose_name_plural = "adresses MSSanté de l'annuaire"

    def __str__(self) -> str:
        return f"{self.address} ({self.kind})"
