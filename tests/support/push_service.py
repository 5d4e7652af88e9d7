"""A local push service (RFC 8030) for tests: the browsers' real ones (FCM, Mozilla, Apple) are
outside our reach, so this one stands in for them on 127.0.0.1, and checks what a real one
would and what only the browser can:

- the VAPID authorisation (RFC 8292): `vapid t=<JWT>, k=<key>`, an ES256 signature that
  verifies with `k`, `aud` = the endpoint's origin, `exp` within 24 hours, a `sub` contact;
- the payload, decrypted as the browser does (RFC 8291, aes128gcm, RFC 8188) with the
  subscription's private key and auth secret: written here from the RFCs with `cryptography`'s
  primitives, independently of the sending library.

Each subscription gets its own endpoint path; `answer(token, status)` makes one of them reply
404/410 as a push service does for an expired subscription.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


class PushRejected(Exception):
    pass


def verify_vapid(authorization: str, audience: str) -> dict[str, Any]:
    """The JWT's claims, after checking the RFC 8292 rules; raises PushRejected."""
    if not authorization.startswith("vapid "):
        raise PushRejected(f"not a vapid authorization: {authorization[:20]!r}")
    params = dict(part.strip().split("=", 1) for part in authorization[len("vapid ") :].split(","))
    token, key = params.get("t", ""), params.get("k", "")
    try:
        head_b64, claims_b64, signature_b64 = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(key))
        header = json.loads(unb64u(head_b64))
        claims = json.loads(unb64u(claims_b64))
        signature = unb64u(signature_b64)
    except ValueError as exc:
        raise PushRejected(f"unreadable vapid token: {exc}") from exc
    if header.get("alg") != "ES256" or len(signature) != 64:
        raise PushRejected("the vapid token must be ES256")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        public.verify(
            encode_dss_signature(r, s),
            f"{head_b64}.{claims_b64}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature as exc:
        raise PushRejected("bad vapid signature") from exc
    if claims.get("aud") != audience:
        raise PushRejected(f"aud {claims.get('aud')!r} is not {audience!r}")
    if not (time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600):
        raise PushRejected("exp is not within the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
        raise PushRejected("sub must be a mailto: or https: contact")
    return {"claims": claims, "key": key}


@dataclass
class Subscriber:
    """What a browser keeps: the private half of p256dh and the auth secret."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    def info(self, base: str) -> dict[str, Any]:
        return {
            "endpoint": f"{base}/push/{self.token}",
            "keys": {
                "p256dh": b64u(_point(self.private_key.public_key())),
                "auth": b64u(self.auth_secret),
            },
        }

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 section 3.4 and RFC 8188 section 2, one record."""
        salt, rs, idlen = body[:16], struct.unpack(">I", body[16:20])[0], body[20]
        sender_point = body[21 : 21 + idlen]
        ciphertext = body[21 + idlen :]
        if idlen != 65 or len(ciphertext) > rs:
            raise PushRejected("one aes128gcm record with the sender's P-256 key expected")
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
        shared = self.private_key.exchange(ec.ECDH(), sender)
        ua_point = _point(self.private_key.public_key())
        prk_key = _hmac(self.auth_secret, shared)
        ikm = _hmac(prk_key, b"WebPush: info\x00" + ua_point + sender_point + b"\x01")
        prk = _hmac(salt, ikm)
        cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
        nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
        end = len(padded.rstrip(b"\x00")) - 1
        if end < 0 or padded[end] != 2:
            raise PushRejected("the last record must end with the 0x02 delimiter")
        return padded[:end]


@dataclass
class Received:
    token: str
    headers: dict[str, str]
    claims: dict[str, Any]
    vapid_key: str
    payload: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class PushService:
    """`with PushService() as service:` — a thread serving 127.0.0.1 on a free port."""

    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                service._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber(
            token=b64u(os.urandom(12)),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
        )
        self.subscribers[subscriber.token] = subscriber
        return subscriber

    def answer(self, token: str, status: int) -> None:
        self.answers[token] = status

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
        return list(self.received)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        token = request.path.rsplit("/", 1)[-1]
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in request.headers.items()}
        status = 201
        try:
            subscriber = self.subscribers.get(token)
            if subscriber is None:
                raise PushRejected("unknown subscription")
            if headers.get("content-encoding") != "aes128gcm":
                raise PushRejected(f"content-encoding {headers.get('content-encoding')!r}")
            if "ttl" not in headers:
                raise PushRejected("TTL header missing (RFC 8030 section 5.2)")
            vapid = verify_vapid(headers.get("authorization", ""), self.base)
            payload = subscriber.decrypt(body)
            status = self.answers.get(token, 201)
            with self.arrived:
                self.received.append(
                    Received(token, headers, vapid["claims"], vapid["key"], payload, status)
                )
                self.arrived.notify_all()
        except (PushRejected, ValueError) as exc:
            self.rejected.append(str(exc))
            status = 400
        request.send_response(status)
        request.send_header("Content-Length", "0")
        if status == 201:
            request.send_header("Location", f"{self.base}/message/{b64u(os.urandom(8))}")
        request.end_headers()
