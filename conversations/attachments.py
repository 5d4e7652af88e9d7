"""Which files may be attached: an allow-list of types, checked on the content itself.

The browser's Content-Type is not trusted: the extension picks the expected type, and the first
bytes must match it (an .exe renamed report.pdf is refused). File names are cleaned for display;
the file is stored under a random name, so a name can never be a path.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from backend.errors import DomainError, Kind

ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # legacy .doc/.xls/.ppt
# extension -> (content type, accepted leading bytes; None = checked by _looks_like_text)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".heic": ("image/heic", None),
    ".mp4": ("video/mp4", None),
    ".mov": ("video/quicktime", None),
    ".webm": ("video/webm", (b"\x1a\x45\xdf\xa3",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".doc": ("application/msword", OLE),
    ".xls": ("application/vnd.ms-excel", OLE),
    ".txt": ("text/plain", None),
    ".csv": ("text/csv", None),
}
# ISO base media (mp4, mov, heic) carry "ftyp" at offset 4.
ISO_MEDIA = {".mp4", ".mov", ".heic"}
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")


def clean_name(raw: str) -> str:
    """A display name without directories, control characters or leading dots."""
    name = PurePosixPath(raw.replace("\\", "/")).name
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C"
    )
    name = name.strip().lstrip(".")
    return (name or "fichier")[:200]


def _refuse(message: str) -> DomainError:
    return DomainError("type_not_allowed", message, fields={"file": [message]})


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is fine.
        return exc.start >= len(head) - 3
    return True


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """Returns (clean display name, content type) or raises a 400/413 DomainError."""
    size = upload.size or 0
    if size > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise DomainError(
            "too_large",
            f"Le fichier dépasse la taille maximale ({limit} Mo).",
            Kind.TOO_LARGE,
            fields={"file": ["Fichier trop volumineux."]},
        )
    if size == 0:
        raise DomainError("file_empty", "Le fichier est vide.", fields={"file": ["Fichier vide."]})
    name = clean_name(upload.name or "")
    extension = PurePosixPath(name.lower()).suffix
    if extension not in ALLOWED:
        raise _refuse(
            "Type de fichier non autorisé : PDF, images, vidéos et documents bureautiques "
            "uniquement."
        )
    content_type, signatures = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    if head.startswith(EXECUTABLE_MAGIC):
        raise _refuse("Ce fichier est un programme déguisé : il est refusé.")
    if extension in ISO_MEDIA:
        valid = head[4:8] == b"ftyp"
    elif signatures is None:
        valid = _looks_like_text(head)
    else:
        valid = head.startswith(signatures)
    if not valid:
        raise _refuse("Le contenu du fichier ne correspond pas à son extension.")
    return name, content_type
