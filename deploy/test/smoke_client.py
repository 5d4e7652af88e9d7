"""The client side of the deploy smoke test (deploy/test/smoke.py): a browser-like HTTPS session
through nginx with sign-in (password + TOTP), the per-daphne views on loopback (readiness, the
socket gauge of /metrics), and the compose project through docker-compose."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import ssl
import struct
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from deploy.test.hoststack import HOST, PORTS

BASE = f"https://localhost:{PORTS['nginx-https']}"
WS_URL = f"wss://localhost:{PORTS['nginx-https']}/ws/"
DAPHNES = ("web-1", "web-2")
APP_UID = "10001"


def log(text: str) -> None:
    print(f"[smoke] {text}", flush=True)


class Stack:
    """The compose project, through the same docker-compose and dockerd as run.sh."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.compose = [
            "/usr/bin/docker-compose",
            "--ansi",
            "never",
            "-f",
            str(directory / "compose.yaml"),
        ]
        self.compose += ["--project-directory", str(directory)]

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, check=check)  # noqa: S603

    def container(self, service: str) -> str:
        return self.run(*self.compose, "ps", "-q", service).stdout.strip()

    def inspect(self, service: str) -> dict[str, Any]:
        return json.loads(self.run("/usr/bin/docker", "inspect", self.container(service)).stdout)[0]

    def logs(self, service: str) -> str:
        return self.run(*self.compose, "logs", "--no-color", service).stdout


# --- HTTP through nginx ------------------------------------------------------------------------
class Session:
    """A browser-like session: cookies, CSRF header, same-origin Origin/Referer."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.cookies: dict[str, str] = {}
        self.user_id = ""

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str | None = None,
        base: str = BASE,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, Any]:
        sent = {"Origin": BASE, "Referer": f"{BASE}/", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies:
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
        data = raw
        if body is not None:
            data, content_type = json.dumps(body).encode(), "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        request = urllib.request.Request(f"{base}{path}", data, sent, method=method)  # noqa: S310
        context = self.context if base.startswith("https") else None
        try:
            answer = urllib.request.urlopen(request, timeout=30, context=context)  # noqa: S310
        except urllib.error.HTTPError as error:
            answer = error
        with answer:
            for header in answer.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            content = answer.read()
            parsed = None
            if answer.headers.get("Content-Type", "").startswith("application/json"):
                parsed = json.loads(content or b"null")
            return answer.status, content, parsed

    def json(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        status, _, parsed = self.request(method, path, body)
        assert status == expect, (method, path, status, parsed)
        return parsed


def totp(key_hex: str, at: float) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as django-otp's TOTPDevice checks it."""
    counter = struct.pack(">Q", int(at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def sign_in(context: ssl.SSLContext, username: str, account: dict[str, str]) -> Session:
    session = Session(context)
    session.json("GET", "/api/auth/csrf")
    assert "csrftoken" in session.cookies
    status, _, answer = session.request(
        "POST", "/api/auth/login", {"username": username, "password": account["password"]}
    )
    assert status in (400, 401, 403) and answer["error"]["code"] == "otp_required", answer
    for _ in range(3):  # a TOTP code is accepted once: wait for the next one if it was used
        code = totp(account["totp_key"], time.time())
        status, _, answer = session.request(
            "POST",
            "/api/auth/login",
            {"username": username, "password": account["password"], "otp": code},
        )
        if status == 200:
            break
        assert answer["error"]["code"] == "otp_invalid", answer
        time.sleep(31 - time.time() % 30)
    assert status == 200 and answer["username"] == username, answer
    assert "sessionid" in session.cookies
    me = session.json("GET", "/api/me")
    session.user_id = me["id"]
    return session


# --- per-daphne views (loopback, straight to the container, not through nginx) ------------------
METRICS_TOKEN = {"value": ""}  # set by smoke.py from the stack folder


def direct(path: str, daphne: str) -> tuple[int, str]:
    headers = {"Host": "localhost", "X-Forwarded-Proto": "https"}
    if path == "/metrics":
        headers["Authorization"] = f"Bearer {METRICS_TOKEN['value']}"
    request = urllib.request.Request(f"http://{HOST}:{PORTS[daphne]}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sockets_on(daphne: str) -> int:
    status, text = direct("/metrics", daphne)
    assert status == 200, (daphne, status)
    found = re.search(r"^liaison_ws_connections (\S+)$", text, re.M)
    return int(float(found.group(1))) if found else 0


def placement() -> dict[str, int]:
    return {name: sockets_on(name) for name in DAPHNES}


# --- the checks --------------------------------------------------------------------------------


def all_messages(session: Session, conversation: str) -> list[tuple[int, str, str, list[str]]]:
    rows, after = [], 0
    while True:
        page = session.json(
            "GET", f"/api/conversations/{conversation}/messages?after_seq={after}&limit=100"
        )
        rows += [
            (m["seq"], m["client_id"], m["body"], [a["id"] for a in m["attachments"]])
            for m in page["messages"]
        ]
        if not page["has_more"]:
            return rows
        after = rows[-1][0]


def upload(session: Session) -> tuple[str, bytes]:
    content = b"%PDF-1.4\n% deploy-test " + uuid.uuid4().hex.encode() + b"\n%%EOF\n"
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bilan.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _, answer = session.request(
        "POST",
        "/api/attachments",
        raw=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert status == 201 and answer["sha256"] == hashlib.sha256(content).hexdigest(), answer
    return answer["id"], content


def download(session: Session, path: str) -> str:
    status, content, _ = session.request("GET", path)
    assert status == 200, (path, status)
    return hashlib.sha256(content).hexdigest()
