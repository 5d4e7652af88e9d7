"""Streaming, idempotent, resumable import of an Annuaire Santé extraction.

- Streaming: the file is read line by line in batches; nothing grows with the file except the
  capped list of stored rejections, so memory stays flat on the 500,000-row extractions.
- Batches: each batch commits its upserts *and* the run's progress in one transaction, so a crash
  leaves committed batches plus a run that ``import_file`` on the same file resumes.
- Idempotent: a row's content hash decides whether an entry changes; unchanged rows only get the
  run marker. Entries and addresses not seen by a completed run are deactivated, never deleted,
  and only in the final transaction, so an interrupted run never hides anything.
- The first line of an entry wins: later lines of the same person at the same structure (one per
  mailbox, one per savoir-faire) are merged, which keeps a re-import a no-op.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from backend.audit import log as audit
from backend.directory import bulk, formats
from backend.directory.models import DirectoryAddress, DirectoryEntry, ImportRun
from backend.directory.text import search_columns
from backend.mssante.allowlist import is_trusted_domain
from backend.mssante.trust import current_allowlist

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
MAX_STORED_REJECTIONS = 1000
COUNT_NAMES = (
    "lines",
    "rejected",
    "created",
    "updated",
    "unchanged",
    "merged",
    "deactivated",
    "addresses_created",
    "addresses_updated",
    "addresses_deactivated",
    "outside_trust_space",
)
# How much of the file is checked for UTF-8 before importing (the national files are UTF-8; a
# latin-1 copy would otherwise import accented names as blanks or replacement characters).
ENCODING_SAMPLE = 1024 * 1024
ENTRY_FIELDS = (
    "source",
    "kind",
    "national_id",
    "rpps",
    "title",
    "family_name",
    "given_name",
    "name",
    "profession_code",
    "profession_label",
    "specialty",
    "organization_name",
    "city",
    "postcode",
    "keywords",
    "name_norm",
    "family_norm",
    "given_norm",
    "rev_norm",
    "search_norm",
    "profession_norm",
    "city_norm",
    "has_mssante",
    "listing",
)
_MAX_LENGTH: dict[str, int] = {
    f.name: f.max_length for f in DirectoryEntry._meta.concrete_fields if f.max_length
}

Progress = Callable[[int, int, int], None]  # bytes read, file size, lines read


@dataclass
class ImportResult:
    run_id: int
    source: str
    counts: dict[str, int]
    rejections: list[list[Any]] = field(default_factory=list)  # [line number, reason]
    resumed: bool = False


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _entry_values(parsed: formats.ParsedRow) -> tuple[dict[str, Any], str]:
    values: dict[str, Any] = {name: "" for name in ENTRY_FIELDS}
    values.update(parsed.entry)
    values.pop("key", None)
    values.update(search_columns(parsed.entry))
    for name, limit in _MAX_LENGTH.items():
        if isinstance(values.get(name), str) and len(values[name]) > limit:
            values[name] = values[name][:limit]
    values["has_mssante"] = parsed.address is not None
    content = "\x1f".join([str(values[name]) for name in ENTRY_FIELDS]) + "\x1f"
    return values, hashlib.blake2b(content.encode(), digest_size=16).hexdigest()


def _start_run(path: Path, source: str, sha256: str) -> tuple[ImportRun, bool]:
    with transaction.atomic():
        running = ImportRun.objects.select_for_update().filter(
            source=source, status=ImportRun.Status.RUNNING
        )
        for run in running:
            if run.sha256 == sha256:
                return run, True
            # Another file was being imported and never finished: this newer run supersedes it.
            run.status = ImportRun.Status.ABANDONED
            run.save(update_fields=["status", "updated_at"])
        counts = dict.fromkeys(COUNT_NAMES, 0)
        return ImportRun.objects.create(
            source=source, file_name=path.name[:255], sha256=sha256, counts=counts
        ), False


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes, int]]:
    """(line number, raw line, bytes read so far); line 1 is the header, already consumed."""
    position = handle.tell()
    for number, raw in enumerate(handle, start=2):
        position += len(raw)
        yield number, raw, position


def import_file(
    path: str | Path, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> ImportResult:
    """Import one extraction file; raises ``formats.FormatError`` for an unknown file."""
    path = Path(path)
    size = path.stat().st_size
    sha256 = file_sha256(path)
    with path.open("rb") as handle:
        _require_utf8(handle)
        header = handle.readline().decode("utf-8-sig")
        layout = formats.detect(header)
        run, resumed = _start_run(path, layout.source, sha256)
        batch: list[tuple[int, bytes]] = []
        read = 0
        for number, raw, position in _lines(handle):
            if number <= run.last_line:
                continue  # committed by the interrupted run being resumed
            batch.append((number, raw))
            read = position
            if len(batch) >= batch_size:
                _apply_batch(run, layout, batch)
                batch = []
                if progress:
                    progress(read, size, run.counts["lines"])
        if batch:
            _apply_batch(run, layout, batch)
        if progress:
            progress(size, size, run.counts["lines"])
    _finish(run)
    if connection.vendor == "postgresql":
        # Fresh statistics after a bulk load, or the planner keeps seq-scanning the word index.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE directory_directoryentry, directory_directoryaddress")
    return ImportResult(run.id, run.source, dict(run.counts), list(run.rejections), resumed)


def _require_utf8(handle: BinaryIO) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(handle.read(ENCODING_SAMPLE), final=False)
    except UnicodeDecodeError as exc:
        raise formats.FormatError(
            "Le fichier n'est pas encodé en UTF-8 (les extractions nationales le sont) : il "
            f"semble converti en latin-1 ou Windows-1252 (octet {exc.start + 1}). Téléchargez "
            "à nouveau l'extraction d'origine, sans l'ouvrir dans un tableur."
        ) from exc
    handle.seek(0)


def _outside_trust_space(
    parsed: list[tuple[int, formats.ParsedRow]], counts: dict[str, int]
) -> list[tuple[int, formats.ParsedRow]]:
    """An address whose domain is not in the trust space is kept as a contact but marked as not
    MSSanté (no directory address, ``has_mssante`` false), and counted for the summary."""
    allowlist = current_allowlist()
    kept = []
    for number, row in parsed:
        if row.address and not is_trusted_domain(row.address[0].split("@")[1], allowlist):
            counts["outside_trust_space"] += 1
            row = dataclasses.replace(row, address=None)
        kept.append((number, row))
    return kept


def _apply_batch(run: ImportRun, layout: formats.Layout, batch: list[tuple[int, bytes]]) -> None:
    counts = {**dict.fromkeys(COUNT_NAMES, 0), **run.counts}
    rejections: list[list[Any]] = []
    parsed: list[tuple[int, formats.ParsedRow]] = []
    for number, raw in batch:
        if not raw.strip():
            continue  # blank lines (a final newline, an editor's trailing line) are not rows
        counts["lines"] += 1
        try:
            values = formats.split_line(raw.decode("utf-8"), layout)
            parsed.append((number, formats.parse_row(values, layout)))
        except UnicodeDecodeError:
            rejections.append([number, "encodage invalide (UTF-8 attendu)"])
        except formats.RowError as exc:
            rejections.append([number, str(exc)])
    with transaction.atomic():
        if layout.source == formats.MSSANTE:
            parsed = _drop_duplicate_addresses(run, parsed, rejections)
            parsed = _outside_trust_space(parsed, counts)
        entry_ids = _upsert_entries(run, parsed, counts)
        if layout.source == formats.MSSANTE:
            _upsert_addresses(run, parsed, entry_ids, counts)
        counts["rejected"] += len(rejections)
        stored = list(run.rejections)
        stored.extend(rejections[: max(0, MAX_STORED_REJECTIONS - len(stored))])
        run.counts, run.rejections, run.last_line = counts, stored, batch[-1][0]
        run.save(update_fields=["counts", "rejections", "last_line", "updated_at"])


def _drop_duplicate_addresses(
    run: ImportRun, parsed: list[tuple[int, formats.ParsedRow]], rejections: list[list[Any]]
) -> list[tuple[int, formats.ParsedRow]]:
    addresses = [row.address[0] for _, row in parsed if row.address]
    seen = set(
        DirectoryAddress.objects.filter(
            bulk.any_of("address", addresses), last_seen_import=run.id
        ).values_list("address", flat=True)
    )
    kept = []
    for number, row in parsed:
        assert row.address is not None  # every correspondence row has one
        if row.address[0] in seen:
            rejections.append([number, "adresse BAL en double (déjà lue plus haut)"])
            continue
        seen.add(row.address[0])
        kept.append((number, row))
    return kept


def _upsert_entries(
    run: ImportRun, parsed: list[tuple[int, formats.ParsedRow]], counts: dict[str, int]
) -> dict[str, int]:
    wanted: dict[str, formats.ParsedRow] = {}
    for _, row in parsed:
        if row.entry["key"] in wanted:
            counts["merged"] += 1
        else:
            wanted[row.entry["key"]] = row
    existing = {
        entry.key: entry
        for entry in DirectoryEntry.objects.filter(bulk.any_of("key", list(wanted))).only(
            "id", "key", "row_hash", "active", "last_seen_import"
        )
    }
    to_create: list[dict[str, Any]] = []
    to_update, unchanged = [], []
    for key, row in wanted.items():
        values, row_hash = _entry_values(row)
        entry = existing.get(key)
        if entry is None:
            to_create.append({"key": key, "row_hash": row_hash, **values})
        elif entry.last_seen_import == run.id:
            counts["merged"] += 1
        elif entry.row_hash != row_hash or not entry.active:
            for name, value in values.items():
                setattr(entry, name, value)
            entry.row_hash, entry.active, entry.last_seen_import = row_hash, True, run.id
            entry.updated_at = timezone.now()
            to_update.append(entry)
        else:
            unchanged.append(entry.id)
    bulk.insert_entries(to_create, run.id)
    DirectoryEntry.objects.bulk_update(
        to_update, [*ENTRY_FIELDS, "row_hash", "active", "last_seen_import", "updated_at"]
    )
    DirectoryEntry.objects.filter(bulk.any_of("id", unchanged)).update(last_seen_import=run.id)
    counts["created"] += len(to_create)
    counts["updated"] += len(to_update)
    counts["unchanged"] += len(unchanged)
    return dict(
        DirectoryEntry.objects.filter(bulk.any_of("key", list(wanted))).values_list("key", "id")
    )


def _upsert_addresses(
    run: ImportRun,
    parsed: list[tuple[int, formats.ParsedRow]],
    entry_ids: dict[str, int],
    counts: dict[str, int],
) -> None:
    wanted = {
        row.address[0]: (row.address[1], entry_ids[row.entry["key"]])
        for _, row in parsed
        if row.address
    }
    existing = {
        a.address: a for a in DirectoryAddress.objects.filter(bulk.any_of("address", list(wanted)))
    }
    to_create: list[tuple[str, str, int]] = []
    to_update, unchanged = [], []
    for address, (kind, entry_id) in wanted.items():
        current = existing.get(address)
        if current is None:
            to_create.append((address, kind, entry_id))
        elif current.entry_id != entry_id or current.kind != kind or not current.active:
            current.entry_id, current.kind = entry_id, kind
            current.active, current.last_seen_import = True, run.id
            to_update.append(current)
        else:
            unchanged.append(current.id)
    bulk.insert_addresses(to_create, run.id)
    DirectoryAddress.objects.bulk_update(
        to_update, ["entry_id", "kind", "active", "last_seen_import"]
    )
    DirectoryAddress.objects.filter(bulk.any_of("id", unchanged)).update(last_seen_import=run.id)
    counts["addresses_created"] += len(to_create)
    counts["addresses_updated"] += len(to_update)


@transaction.atomic
def _finish(run: ImportRun) -> None:
    counts = dict(run.counts)
    accepted = counts["lines"] - counts["rejected"]
    if accepted > 0:
        stale = DirectoryEntry.objects.filter(source=run.source, active=True).exclude(
            last_seen_import=run.id
        )
        counts["deactivated"] = stale.update(active=False, updated_at=timezone.now())
        if run.source == formats.MSSANTE:
            counts["addresses_deactivated"] = (
                DirectoryAddress.objects.filter(active=True)
                .exclude(last_seen_import=run.id)
                .update(active=False)
            )
    else:
        # A file with no valid line is a wrong or truncated file, not an empty directory.
        logger.warning("directory import %s: no valid line, nothing deactivated", run.id)
    run.counts, run.status, run.finished_at = counts, ImportRun.Status.DONE, timezone.now()
    run.save(update_fields=["counts", "status", "finished_at", "updated_at"])
    audit.record(
        "directory.imported",
        obj=run,
        data={"source": run.source, "sha256": run.sha256[:16], **counts},
    )
