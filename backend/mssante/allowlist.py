"""The MSSanté trust space: the ANS operator allow-list and the domain matching rule.

The ANS publishes ``listeblanchemssante.xml`` (namespace ``https://listeblanche.mssante.fr/schema``);
the domains are the text of ``//Domaine/Nom``. Only that path is relied on: the elements around it
(operator, wrapper) are *unverified* and ignored. The file shipped in ``data/`` is a small generated
one for development; production must load the current ANS file (path from settings).

Parsing is streaming (``iterparse``) and refuses any DTD: without a DTD no entity can be declared,
so neither "billion laughs" nor external entities can occur. ``defusedxml`` is not a project
dependency, hence the byte-level guard below (the stdlib parser itself never fetches external
entities, and expat >= 2.4 also limits entity amplification).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO

__all__ = [
    "ALLOWLIST_NAMESPACE",
    "APICRYPT_INTEROP_DOMAIN",
    "MSSANTE_SUFFIX",
    "PATIENT_DOMAIN",
    "AllowlistError",
    "default_allowlist",
    "is_trusted_domain",
    "is_valid_domain",
    "parse_allowlist",
]

ALLOWLIST_NAMESPACE = "https://listeblanche.mssante.fr/schema"
MSSANTE_SUFFIX = ".mssante.fr"
PATIENT_DOMAIN = "patient.mssante.fr"
APICRYPT_INTEROP_DOMAIN = "interop-mssante.apicrypt.org"
DEFAULT_ALLOWLIST_PATH = Path(__file__).resolve().parent / "data" / "listeblanchemssante.xml"

_DOMAINE = f"{{{ALLOWLIST_NAMESPACE}}}Domaine"
_NOM = f"{{{ALLOWLIST_NAMESPACE}}}Nom"

# LDH labels (letters, digits, hyphens; no hyphen at either end), at least two labels, an
# alphabetic top-level label. ASCII only: internationalised domains must come as punycode.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN_RE = re.compile(rf"(?:{_LABEL}\.)+[a-z]{{2,63}}")
_MAX_DOMAIN_LENGTH = 253

_HEAD_BYTES = 1024
_FORBIDDEN_MARKUP = (b"<!DOCTYPE", b"<!ENTITY")
_ALLOWED_ENCODINGS = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
_ENCODING_RE = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class AllowlistError(ValueError):
    """The allow-list file cannot be used; ``message`` is a French sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_valid_domain(domain: str) -> bool:
    """Syntax check of an already lower-cased domain name."""
    return len(domain) <= _MAX_DOMAIN_LENGTH and _DOMAIN_RE.fullmatch(domain) is not None


def is_trusted_domain(domain: str, allowlist: frozenset[str]) -> bool:
    """True when mail to ``domain`` stays inside the MSSanté trust space.

    Trusted: a domain on the operator allow-list (exact match), any true sub-domain of
    ``mssante.fr`` (the suffix starts with a dot, so ``xmssante.fr`` does not match and the match
    ends the name, so ``mssante.fr.example.com`` does not either), and the Apicrypt interop gateway.
    """
    domain = domain.strip().lower()
    if not is_valid_domain(domain):
        return False
    return (
        domain in allowlist or domain.endswith(MSSANTE_SUFFIX) or domain == APICRYPT_INTEROP_DOMAIN
    )


class _NoDtdReader:
    """Binary reader that refuses DTDs, entity declarations and non ASCII-compatible encodings.

    ``<!DOCTYPE`` / ``<!ENTITY`` are only recognisable as bytes in an ASCII-compatible encoding,
    so UTF-16/32 (NUL bytes) and any declared encoding other than UTF-8/ASCII are refused first.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._started = False
        self._tail = b""

    def read(self, size: int = -1) -> bytes:
        if not self._started:
            self._started = True
            chunk = self._read_head(size)
        else:
            chunk = self._raw.read(size)
        window = self._tail + chunk
        if b"\x00" in chunk or any(marker in window for marker in _FORBIDDEN_MARKUP):
            raise AllowlistError("La liste blanche contient une DTD ou des entités : refusée.")
        self._tail = window[-(len(_FORBIDDEN_MARKUP[0]) - 1) :]
        return chunk

    def _read_head(self, size: int) -> bytes:
        head = b""
        while len(head) < max(size, _HEAD_BYTES):
            part = self._raw.read(max(size, _HEAD_BYTES) - len(head))
            if not part:
                break
            head += part
        text = head.removeprefix(b"\xef\xbb\xbf")
        if text.startswith(b"<?xml"):
            end = text.find(b"?>")
            if end < 0:
                raise AllowlistError("Déclaration XML de la liste blanche illisible.")
            match = _ENCODING_RE.search(text[:end])
            if match and match.group(1).lower() not in _ALLOWED_ENCODINGS:
                raise AllowlistError("La liste blanche doit être encodée en UTF-8.")
        return head


def _iter_domains(raw: IO[bytes]) -> Iterator[str]:
    stack: list[str] = []
    reader = _NoDtdReader(raw)
    # The source is guarded by _NoDtdReader (no DTD, hence no entity), see the module docstring.
    for event, elem in ET.iterparse(reader, events=("start", "end")):  # noqa: S314  # nosec B314
        if event == "start":
            stack.append(elem.tag)
            continue
        stack.pop()
        if elem.tag == _NOM and stack and stack[-1] == _DOMAINE:
            yield elem.text or ""
        elif elem.tag == _DOMAINE:
            elem.clear()  # keep memory flat on the full list


def parse_allowlist(source: str | os.PathLike[str] | IO[bytes]) -> frozenset[str]:
    """Lower-case domains of an ANS allow-list file (a path or a binary file object).

    Entries that are not valid domain names are skipped (they could never match an address).
    Raises ``AllowlistError`` for an unreadable or unsafe file, or one without any domain.
    """
    domains: set[str] = set()
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as handle:
                names = list(_iter_domains(handle))
        else:
            names = list(_iter_domains(source))
    except ET.ParseError as exc:
        raise AllowlistError(f"La liste blanche n'est pas un XML valide ({exc}).") from exc
    except OSError as exc:
        raise AllowlistError(f"La liste blanche ne peut pas être lue ({exc}).") from exc
    for name in names:
        domain = name.strip().lower().rstrip(".")
        if is_valid_domain(domain):
            domains.add(domain)
    if not domains:
        raise AllowlistError("La liste blanche ne contient aucun domaine (format inattendu ?).")
    return frozenset(domains)


@lru_cache(maxsize=1)
def default_allowlist() -> frozenset[str]:
    """The allow-list shipped with the application (cached for the process lifetime)."""
    return parse_allowlist(DEFAULT_ALLOWLIST_PATH)
