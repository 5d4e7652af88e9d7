"""Streaming, idempotent, resumable import of an Annuaire Santé extraction.

- Streaming: the file is read line by line in batches; nothing grows with the file except the
  capped list of stored rejections, so memory stays flat on the 500,000-row extractions. From
  READER_PROCESS_BYTES on, a second process reads and parses the next batches while this one
  writes the current batch (``reader``); it needs a free core to gain anything (measured at
  load 4 on 2 cores: 3-17 % faster; at 116,000 lines this process's CPU went from 5.4 to 2.0 s).
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
import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from backend.audit import log as audit
from backend.directory import bulk, formats, reader
from backend.directory.models import DirectoryAddress, DirectoryEntry, ImportRun
from backend.directory.reader import ENTRY_FIELDS
from backend.directory.wordindex import WORD_INDEXES
from backend.mssante.allowlist import is_trusted_domain
from backend.mssante.trust import current_allowlist

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# From this size on (about 40,000 lines) the file is read by a second process (``reader``);
# below, starting it costs more than it saves.
READER_PROCESS_BYTES = 8 * 1024 * 1024
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
    request = reader.Request(str(path), layout, run.last_line, batch_size, _MAX_LENGTH)
    if size >= READER_PROCESS_BYTES:
        batches: Any = reader.ReaderProcess(request)
    else:
        batches = reader.read_in_process(request)
    with contextlib.closing(batches):
        for batch in batches:
            _apply_batch(run, layout, batch)
            if progress:
                progress(batch.position, size, run.counts["lines"])
    if progress:
        progress(size, size, run.counts["lines"])
    _finish(run)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh statistics after a bulk load, or the planner keeps seq-scanning the word
            # index (and wordindex reads which words are frequent from them).
            cursor.execute("ANALYZE directory_directoryentry, directory_directoryaddress")
            # The word indexes' pending lists merged now: GIN keeps up to 4 MB of new entries
            # unsorted, read in full by every search until a vacuum merges them. After the
            # 510,000-row import, each search through the name's words read its 382 pending
            # pages (EXPLAIN BUFFERS; ANALYZE run by hand does not merge them).
            cursor.execute(
                "SELECT gin_clean_pending_list(name::regclass) FROM unnest(%s::text[]) AS name",
                [list(WORD_INDEXES.values())],
            )
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


def _outside_trust_space(rows: list[reader.Row], counts: dict[str, int]) -> list[reader.Row]:
    """An address whose domain is not in the trust space is kept as a contact but marked as not
    MSSanté (no directory address, ``has_mssante`` false), and counted for the summary."""
    allowlist = current_allowlist()
    kept = []
    for row in rows:
        address = row[2]
        if address and not is_trusted_domain(address[0].split("@")[1], allowlist):
            counts["outside_trust_space"] += 1
            row = reader.without_address(row)
        kept.append(row)
    return kept


def _apply_batch(run: ImportRun, layout: formats.Layout, batch: reader.Batch) -> None:
    counts = {**dict.fromkeys(COUNT_NAMES, 0), **run.counts}
    counts["lines"] += batch.lines
    rejections = list(batch.rejections)
    rows = batch.rows
    with transaction.atomic():
        addresses: dict[str, DirectoryAddress] = {}
        if layout.source == formats.MSSANTE:
            addresses = _existing_addresses(rows)
            rows = _drop_duplicate_addresses(run, rows, addresses, rejections)
            rows = _outside_trust_space(rows, counts)
        entry_ids = _upsert_entries(run, rows, counts)
        if layout.source == formats.MSSANTE:
            _upsert_addresses(run, rows, entry_ids, addresses, counts)
        counts["rejected"] += len(rejections)
        stored = list(run.rejections)
        stored.extend(rejections[: max(0, MAX_STORED_REJECTIONS - len(stored))])
        run.counts, run.rejections, run.last_line = counts, stored, batch.last_line
        run.save(update_fields=["counts", "rejections", "last_line", "updated_at"])


def _existing_addresses(rows: list[reader.Row]) -> dict[str, DirectoryAddress]:
    """The batch's addresses already in the directory: one query serves the duplicate check and
    the upsert."""
    wanted = [row[2][0] for row in rows if row[2]]
    return {a.address: a for a in DirectoryAddress.objects.filter(bulk.any_of("address", wanted))}


def _drop_duplicate_addresses(
    run: ImportRun,
    rows: list[reader.Row],
    existing: dict[str, DirectoryAddress],
    rejections: list[list[Any]],
) -> list[reader.Row]:
    seen = {address for address, a in existing.items() if a.last_seen_import == run.id}
    kept = []
    for row in rows:
        address = row[2]
        assert address is not None  # every correspondence row has one
        if address[0] in seen:
            rejections.append([row[0], "adresse BAL en double (déjà lue plus haut)"])
            continue
        seen.add(address[0])
        kept.append(row)
    return kept


def _upsert_entries(
    run: ImportRun, rows: list[reader.Row], counts: dict[str, int]
) -> dict[str, int]:
    wanted: dict[str, reader.Row] = {}
    for row in rows:
        if row[1] in wanted:
            counts["merged"] += 1
        else:
            wanted[row[1]] = row
    existing = {
        entry.key: entry
        for entry in DirectoryEntry.objects.filter(bulk.any_of("key", list(wanted))).only(
            "id", "key", "row_hash", "active", "last_seen_import"
        )
    }
    entry_ids = {key: entry.id for key, entry in existing.items()}
    to_create: list[tuple[str, str, list[Any]]] = []
    to_update, unchanged = [], []
    for key, (_, _, _, row_hash, values) in wanted.items():
        entry = existing.get(key)
        if entry is None:
            to_create.append((key, row_hash, values))
        elif entry.last_seen_import == run.id:
            counts["merged"] += 1
        elif entry.row_hash != row_hash or not entry.active:
            for name, value in zip(ENTRY_FIELDS, values, strict=True):
                setattr(entry, name, value)
            entry.row_hash, entry.active, entry.last_seen_import = row_hash, True, run.id
            entry.updated_at = timezone.now()
            to_update.append(entry)
        else:
            unchanged.append(entry.id)
    entry_ids.update(bulk.insert_entries(ENTRY_FIELDS, to_create, run.id))
    DirectoryEntry.objects.bulk_update(
        to_update, [*ENTRY_FIELDS, "row_hash", "active", "last_seen_import", "updated_at"]
    )
    DirectoryEntry.objects.filter(bulk.any_of("id", unchanged)).update(last_seen_import=run.id)
    counts["created"] += len(to_create)
    counts["updated"] += len(to_update)
    counts["unchanged"] += len(unchanged)
    return entry_ids


def _upsert_addresses(
    run: ImportRun,
    rows: list[reader.Row],
    entry_ids: dict[str, int],
    existing: dict[str, DirectoryAddress],
    counts: dict[str, int],
) -> None:
    wanted = {row[2][0]: (row[2][1], entry_ids[row[1]]) for row in rows if row[2]}
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
