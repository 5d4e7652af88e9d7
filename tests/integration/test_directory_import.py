"""Importing the Annuaire Santé extractions: counts, idempotence, updates, rejections, resuming."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from backend.audit.models import AuditEvent
from backend.directory import importer
from backend.directory.models import DirectoryAddress, DirectoryEntry, ImportRun
from backend.directory.tasks import import_annuaire
from tests.data import make_annuaire_samples as samples

pytestmark = pytest.mark.django_db

MSS = samples.MSSANTE_SAMPLE
PS = samples.PS_SAMPLE


def run_command(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_annuaire", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write_lines(path: Path, lines: Any) -> Path:
    samples.write(path, iter(lines))
    return path


def snapshot() -> list[tuple[Any, ...]]:
    return list(
        DirectoryEntry.objects.order_by("key").values_list(
            "key", "name", "city", "active", "row_hash", "updated_at"
        )
    )


def test_committed_samples_are_what_the_generator_makes(tmp_path: Path) -> None:
    assert MSS.read_text(encoding="utf-8") == write_lines(
        tmp_path / "m.txt", samples.mssante_lines()
    ).read_text(encoding="utf-8")
    assert PS.read_text(encoding="utf-8") == write_lines(
        tmp_path / "p.txt", samples.ps_lines()
    ).read_text(encoding="utf-8")


def test_correspondence_sample_imports_with_expected_counts() -> None:
    counts = importer.import_file(MSS).counts
    # 6 anchors + 5 malformed + 280 random rows, one random person in 7 with a second mailbox.
    assert counts["lines"] == 331
    assert counts["rejected"] == 5
    assert counts["created"] == 285  # Dupré's two mailboxes make one entry
    assert counts["merged"] == 41
    assert counts["addresses_created"] == 326
    assert counts["updated"] == counts["deactivated"] == 0
    assert DirectoryEntry.objects.filter(source="mssante", active=True).count() == 285
    assert DirectoryAddress.objects.filter(active=True).count() == 326


def test_ps_sample_imports_with_expected_counts() -> None:
    counts = importer.import_file(PS).counts
    # 4 anchors + 4 malformed + 240 random + 48 second activities + 22 second savoir-faire.
    assert counts["lines"] == 318
    assert counts["rejected"] == 4
    assert counts["created"] == 292
    assert counts["merged"] == 22
    adeli = DirectoryEntry.objects.get(family_norm="kine")
    assert adeli.national_id == "0725012345" and adeli.rpps == ""
    assert DirectoryAddress.objects.count() == 0


def test_ps_file_with_56_columns_is_parsed_by_header_name(tmp_path: Path) -> None:
    wide = write_lines(tmp_path / "ps56.txt", samples.ps_lines(wide=True))
    assert wide.read_text(encoding="utf-8").splitlines()[0].count("|") == 56
    counts = importer.import_file(wide).counts
    assert (counts["created"], counts["rejected"]) == (292, 4)
    dupre = DirectoryEntry.objects.get(source="ps", rpps=samples.DUPRE["rpps"])
    assert (dupre.name, dupre.city, dupre.postcode) == ("Dr Jean DUPRÉ", "LE MANS", "72000")


def test_second_import_of_the_same_file_changes_nothing() -> None:
    importer.import_file(MSS)
    before = snapshot()
    counts = importer.import_file(MSS).counts
    assert counts["created"] == counts["updated"] == counts["deactivated"] == 0
    assert counts["addresses_created"] == counts["addresses_updated"] == 0
    assert counts["unchanged"] == 285
    assert snapshot() == before


def test_newer_file_updates_changed_rows_and_deactivates_missing_ones(tmp_path: Path) -> None:
    importer.import_file(MSS)
    lines = MSS.read_text(encoding="utf-8").splitlines()
    dropped = lines[-10:]
    kept = lines[:-10]
    kept[3] = kept[3].replace("72000 LE MANS", "72100 LE MANS")  # Dupré's structure moved
    newer = write_lines(tmp_path / "newer.txt", kept)

    counts = importer.import_file(newer).counts

    dropped_addresses = {line.split("|")[1] for line in dropped}
    assert counts["updated"] == 0  # line 4 is Dupré's second mailbox: the first line wins
    assert counts["addresses_deactivated"] == len(dropped_addresses)
    assert counts["deactivated"] >= 8  # some dropped lines were a person's second mailbox
    gone = DirectoryAddress.objects.filter(address__in=dropped_addresses)
    assert gone.count() == len(dropped_addresses) and not gone.filter(active=True).exists()

    kept[1] = kept[1].replace("Cardiologie", "Rythmologie")
    counts = importer.import_file(write_lines(tmp_path / "newest.txt", kept)).counts
    assert counts["updated"] == 1 and counts["deactivated"] == 0
    assert DirectoryEntry.objects.get(source="mssante", rpps=samples.DUPRE["rpps"]).specialty == (
        "Rythmologie"
    )


def test_entries_that_come_back_are_reactivated(tmp_path: Path) -> None:
    lines = MSS.read_text(encoding="utf-8").splitlines()
    importer.import_file(write_lines(tmp_path / "short.txt", lines[:-5]))
    counts = importer.import_file(MSS).counts
    assert counts["updated"] == 0 and counts["created"] >= 1
    importer.import_file(write_lines(tmp_path / "short2.txt", lines[:-5]))
    counts = importer.import_file(MSS).counts
    assert counts["updated"] >= 1 and counts["created"] == 0  # back, same ids
    assert not DirectoryEntry.objects.filter(source="mssante", active=False).exists()


def test_malformed_lines_are_reported_with_their_numbers_and_skipped() -> None:
    output = run_command(MSS, "--no-progress")
    assert "lignes rejetées : 5" in output
    for number, reason in {
        8: "28 colonnes au lieu de 31",
        9: "numéro RPPS « 20000000020 » invalide",
        10: "type de BAL « XXX » inconnu",
        11: "adresse BAL invalide",
        12: "adresse BAL en double",
    }.items():
        assert f"ligne {number} : {reason}" in output
    assert not DirectoryAddress.objects.filter(address="pas-une-adresse").exists()

    output = run_command(PS)
    assert "ligne 6 : 50 colonnes au lieu de 52" in output
    assert "ligne 9 : nom d'exercice absent" in output


def test_a_file_that_is_neither_extraction_is_refused(tmp_path: Path) -> None:
    other = write_lines(tmp_path / "other.csv", ["nom;prenom", "Dupont;Jean"])
    with pytest.raises(CommandError, match="Format de fichier non reconnu"):
        run_command(other)
    assert not ImportRun.objects.exists()


def test_a_file_without_any_valid_line_deactivates_nothing(tmp_path: Path) -> None:
    importer.import_file(MSS)
    header, bad = MSS.read_text(encoding="utf-8").splitlines()[0], "PER|x|y"
    counts = importer.import_file(write_lines(tmp_path / "bad.txt", [header, bad])).counts
    assert (counts["rejected"], counts["deactivated"]) == (1, 0)
    assert DirectoryEntry.objects.filter(source="mssante", active=True).count() == 285


def test_interrupted_import_leaves_old_entries_and_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = MSS.read_text(encoding="utf-8").splitlines()
    importer.import_file(write_lines(tmp_path / "old.txt", lines[:-40]))
    newer = write_lines(tmp_path / "new.txt", [*lines[:200], *lines[-40:]])
    real_apply, calls = importer._apply_batch, []

    def crash_on_third_batch(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker lost")
        real_apply(*args)

    monkeypatch.setattr(importer, "_apply_batch", crash_on_third_batch)
    with pytest.raises(RuntimeError):
        importer.import_file(newer, batch_size=50)
    run = ImportRun.objects.get(status=ImportRun.Status.RUNNING)
    assert run.last_line == 101  # two batches of 50 committed after the header
    # Nothing was deactivated half-way: the old file's entries are all still listed.
    assert not DirectoryEntry.objects.filter(active=False).exists()

    monkeypatch.setattr(importer, "_apply_batch", real_apply)
    result = importer.import_file(newer, batch_size=50)
    assert result.resumed and result.run_id == run.id
    assert result.counts["lines"] == 239 and result.counts["rejected"] == 5
    fresh = importer.import_file(newer).counts
    assert fresh["created"] == fresh["updated"] == fresh["deactivated"] == 0


def test_each_import_run_is_audited_with_counts_only() -> None:
    result = importer.import_file(MSS)
    event = AuditEvent.objects.get(verb="directory.imported")
    assert event.object_id == str(result.run_id)
    assert event.data["created"] == 285 and event.data["source"] == "mssante"
    assert "Dupré" not in str(event.data) and "@" not in str(event.data)


def test_celery_task_imports_a_file_by_path() -> None:
    counts = import_annuaire.apply(args=(str(PS),)).get()
    assert counts["created"] == 292
    assert import_annuaire.apply(args=(str(PS),)).get()["created"] == 0


def test_memory_stays_flat_as_the_file_grows(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "big.txt", samples.mssante_lines(6_000, samples=False))
    peaks: list[int] = []
    tracemalloc.start()
    try:
        importer.import_file(
            path,
            batch_size=200,
            progress=lambda *_: peaks.append(tracemalloc.get_traced_memory()[1]),
        )
    finally:
        tracemalloc.stop()
    # The high-water mark after a quarter of the file is (nearly) the one at the end.
    assert len(peaks) > 20
    assert peaks[-1] < peaks[len(peaks) // 4] * 1.1 + 64 * 1024, peaks


def test_a_large_file_is_read_by_a_second_process_with_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From READER_PROCESS_BYTES on, a second process parses; the entries, hashes and counts
    are the in-process ones: re-importing in process finds every entry unchanged."""
    lines = MSS.read_text(encoding="utf-8").splitlines()
    monkeypatch.setattr(importer, "READER_PROCESS_BYTES", 0)
    real = importer.reader.ReaderProcess
    processes: list[Any] = []

    def counted(request: Any) -> Any:
        processes.append(request)
        return real(request)

    monkeypatch.setattr(importer.reader, "ReaderProcess", counted)
    counts = importer.import_file(MSS, batch_size=50).counts
    assert processes and counts["created"] == 285 and counts["rejected"] == 5
    monkeypatch.setattr(importer, "READER_PROCESS_BYTES", 1 << 40)
    again = importer.import_file(write_lines(tmp_path / "same.txt", [*lines, ""])).counts
    assert again["unchanged"] == 285 and again["created"] == again["updated"] == 0
    assert len(processes) == 1


def test_a_failing_reader_process_fails_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "READER_PROCESS_BYTES", 0)
    path = write_lines(tmp_path / "m.txt", MSS.read_text(encoding="utf-8").splitlines())
    real = importer.reader.ReaderProcess

    def reader_of_a_vanished_file(request: Any) -> Any:
        path.unlink()
        return real(request)

    monkeypatch.setattr(importer.reader, "ReaderProcess", reader_of_a_vanished_file)
    with pytest.raises(RuntimeError, match="lecture de l'annuaire interrompue"):
        importer.import_file(path)
    assert ImportRun.objects.get().status == ImportRun.Status.RUNNING
    assert not DirectoryEntry.objects.exists()


@pytest.mark.postgres
def test_the_word_indexes_pending_lists_are_merged_after_an_import() -> None:
    from django.db import connection

    from backend.directory.wordindex import WORD_INDEXES

    importer.import_file(MSS)
    with connection.cursor() as cursor:
        for index in WORD_INDEXES.values():
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            assert cursor.fetchone() == (0,), index  # nothing left to merge
