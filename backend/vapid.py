"""VAPID keys (RFC 8292) for Web Push, read by the settings: one P-256 key pair identifies this
server to the browsers' push services. No Django import here (the settings load it).

Accepted form of the private key: base64url of the raw 32-byte scalar (what the usual
`generate-vapid-keys` tools print) or a PEM (PKCS#8 or SEC1). Outside production, a missing key is
generated once and kept under the var folder, so every process of one installation (daphne, the
Celery worker) signs with the same key; production refuses to start without one.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


class VapidKeyError(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) != 32:
                raise VapidKeyError("the raw private key must be 32 bytes (base64url)")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except VapidKeyError:
        raise
    except (ValueError, TypeError) as exc:
        raise VapidKeyError(f"unreadable key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise VapidKeyError("the key must be an EC P-256 (prime256v1) private key")
    return key


def raw_private(key: ec.EllipticCurvePrivateKey) -> str:
    """base64url of the 32-byte private scalar (py_vapid's `from_string` form)."""
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def raw_public(key: ec.EllipticCurvePrivateKey) -> str:
    """base64url of the uncompressed public point: the browser's `applicationServerKey`."""
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def development_key(path: Path) -> str:
    """The installation's generated key (created once, atomically: two processes starting
    together end up with the same file)."""
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(raw_private(key) + "\n")
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # fails if another process was first: theirs wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
