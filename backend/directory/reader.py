"""Reading an extraction for the import: lines -> parsed rows with their entry values and content
hash, in batches. Pure Python, no database and no Django settings, so that it can run in a second
process (``python -m backend.directory.reader``, ``read_in_process``).

The import profile at 116,000 lines (README, Performance): the import process spent 5.4 s of CPU
for 14 s of wall time; reading, parsing, folding and hashing were 4 s of it, the database's work
the rest, one after the other. In a second process the parsing of the next batches runs while the
database takes the current one. A thread did worse (measured): the parser held the GIL each time a
query came back, and each round trip waited for it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from backend.directory import formats
from backend.directory.text import search_columns

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
_HAS_MSSANTE = ENTRY_FIELDS.index("has_mssante")

# (line number, entry key, (address, kind) or None, content hash, values in ENTRY_FIELDS order):
# plain tuples, which cost a third of parsed objects to pass between processes.
Row = tuple[int, str, tuple[str, str] | None, str, list[Any]]


@dataclass
class Batch:
    last_line: int  # the batch's last line number, blank or not: where a resumed run restarts
    position: int  # bytes read so far
    lines: int = 0  # non-blank lines
    rows: list[Row] = field(default_factory=list)
    rejections: list[list[Any]] = field(default_factory=list)  # [line number, reason]


@dataclass(frozen=True)
class Request:
    path: str
    layout: formats.Layout
    after_line: int  # lines up to this one were committed by an interrupted run
    batch_size: int
    max_length: dict[str, int]  # the entry's column lengths (the model's, read by the caller)


def content_hash(values: list[Any]) -> str:
    content = "\x1f".join([str(value) for value in values]) + "\x1f"
    return hashlib.blake2b(content.encode(), digest_size=16).hexdigest()


def entry_values(parsed: formats.ParsedRow, max_length: dict[str, int]) -> tuple[list[Any], str]:
    values: dict[str, Any] = dict.fromkeys(ENTRY_FIELDS, "")
    values.update(parsed.entry)
    values.update(search_columns(parsed.entry))
    for name, limit in max_length.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            values[name] = value[:limit]
    values["has_mssante"] = parsed.address is not None
    ordered = [values[name] for name in ENTRY_FIELDS]
    return ordered, content_hash(ordered)


def without_address(row: Row) -> Row:
    """The row as kept when its address is outside the trust space: not MSSanté."""
    number, key, _, _, values = row
    values = list(values)
    values[_HAS_MSSANTE] = False
    return number, key, None, content_hash(values), values


def batches(handle: BinaryIO, request: Request) -> Iterator[Batch]:
    """The lines after the header (already read) and after ``request.after_line``."""
    position = handle.tell()
    pending: list[tuple[int, bytes]] = []
    for number, raw in enumerate(handle, start=2):
        position += len(raw)
        if number <= request.after_line:
            continue
        pending.append((number, raw))
        if len(pending) >= request.batch_size:
            yield _parse(pending, position, request)
            pending = []
    if pending:
        yield _parse(pending, position, request)


def _parse(lines: list[tuple[int, bytes]], position: int, request: Request) -> Batch:
    layout = request.layout
    batch = Batch(last_line=lines[-1][0], position=position)
    for number, raw in lines:
        if not raw.strip():
            continue  # blank lines (a final newline, an editor's trailing line) are not rows
        batch.lines += 1
        try:
            parsed = formats.parse_row(formats.split_line(raw.decode("utf-8"), layout), layout)
        except UnicodeDecodeError:
            batch.rejections.append([number, "encodage invalide (UTF-8 attendu)"])
        except formats.RowError as exc:
            batch.rejections.append([number, str(exc)])
        else:
            values, row_hash = entry_values(parsed, request.max_length)
            batch.rows.append((number, parsed.entry["key"], parsed.address, row_hash, values))
    return batch


def _skip_header(handle: BinaryIO) -> None:
    handle.readline()


def read_in_process(request: Request) -> Iterator[Batch]:
    with open(request.path, "rb") as handle:
        _skip_header(handle)
        yield from batches(handle, request)


class ReaderProcess:
    """The batches, read by a second Python process and received through a pipe. The pipe's
    buffer bounds how far it reads ahead (a batch or two), so memory stays flat."""

    def __init__(self, request: Request) -> None:
        root = Path(__file__).resolve().parents[2]
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        paths = [str(root), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.directory.reader"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env=env,
            cwd=root,
        )
        assert self.process.stdin and self.process.stdout
        pickle.dump(request, self.process.stdin)
        self.process.stdin.close()
        self.stdout: IO[bytes] = self.process.stdout

    def __iter__(self) -> Iterator[Batch]:
        while True:
            try:
                item = pickle.load(self.stdout)  # noqa: S301  # nosec B301: our child's output
            except EOFError:
                break
            yield item
        self.stdout.close()
        if self.process.wait() != 0:
            self.errors.seek(0)
            error = self.errors.read().decode(errors="replace")
            raise RuntimeError(f"lecture de l'annuaire interrompue : {error[-2000:]}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self.errors.close()


def main() -> None:
    request: Request = pickle.load(sys.stdin.buffer)  # noqa: S301  # nosec B301: the parent's
    out = sys.stdout.buffer
    for batch in read_in_process(request):
        pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


if __name__ == "__main__":
    # Run as the imported module, so that the batches pickle as backend.directory.reader.Batch.
    from backend.directory import reader

    reader.main()
