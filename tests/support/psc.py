"""The local Pro Santé Connect stand-in for tests: a real OpenID provider (npm `oidc-provider`,
`tests/psc/server.mjs`) started on a free 127.0.0.1 port, with the demo professionals as its
identities. See tests/psc/README.md for the interface other tests (the mail server) rely on.

Usage in a test: the `psc_provider` fixture (session-wide), or `PscProvider().start()` / `.stop()`.
Outside pytest: `python -m tests.support.psc --port 9000` (used by `make run PSC=local`).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PSC_DIR = ROOT / "tests" / "psc"
CALLBACK_PATH = "/auth/psc/callback"
LOGGED_OUT_PATH = "/auth/psc/logged-out"
# The provider's test signing keys, made once per checkout (var/ is never committed).
KEYS_FILE = ROOT / "var" / "psc-test-keys.json"

# Identities the platform does not know, for the "unknown RPPS" story (valid Luhn keys).
UNKNOWN_RPPS = "10009999997"


def install() -> None:
    """npm ci of the pinned provider when node_modules is missing or older than the lock."""
    subprocess.run(["bash", str(PSC_DIR / "install.sh")], check=True, cwd=ROOT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(org: Any) -> dict[str, str]:
    return {"finess": org[1], "name": org[0], "city": org[3], "postcode": org[4]}


def demo_identities() -> list[dict[str, Any]]:
    """The PSC identities of the demo professionals who have an RPPS, from backend/demo.py so the
    two never drift apart, plus one professional the platform does not know."""
    from backend import demo
    from backend.accounts.identifiers import make_rpps

    identities = []
    for person in demo.PEOPLE:
        if not person.rpps_body:
            continue
        sites = [_site(demo.ORGANIZATIONS[person.organization])]
        if person.username == "dr.petit":
            # PSC says she also works at the EHPAD, where the platform has no membership for
            # her: the mismatch reported to the organisation's admin.
            sites.append(_site(demo.ORGANIZATIONS["ehpad"]))
        identities.append(
            {
                "rpps": make_rpps(person.rpps_body),
                "title": person.title,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": f"{person.given_name}.{person.family_name}@{demo.DOMAIN}".lower(),
                "exercices": [
                    {
                        "profession_code": person.profession_code,
                        "title": person.title.upper(),
                        "savoir_faire_type": "S" if person.specialty else "",
                        "savoir_faire_code": person.specialty,
                        "activities": sites,
                    }
                ],
            }
        )
    identities.append(
        {
            "rpps": UNKNOWN_RPPS,
            "title": "Dr",
            "given_name": "Hugo",
            "family_name": "Inconnu",
            "email": "",
            "exercices": [
                {
                    "profession_code": "10",
                    "title": "DR",
                    "activities": [_site(demo.ORGANIZATIONS["ehpad"])],
                }
            ],
        }
    )
    return identities


@dataclass
class PscProvider:
    """One running provider. Everything a relying party or a mail server needs is an attribute."""

    port: int = 0
    access_ttl: int = 300
    test_endpoints: bool = True
    client_id: str = "liaison-test"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # The mail server's credentials for token introspection (Dovecot's oauth2 passdb).
    introspection_client_id: str = "mssante-test-operator"
    introspection_client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    process: subprocess.Popen[bytes] | None = None
    _workdir: tempfile.TemporaryDirectory[str] | None = None
    _browsers: dict[str, Any] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def introspection_url(self) -> str:
        return f"{self.issuer}/token/introspection"

    @property
    def userinfo_url(self) -> str:
        return f"{self.issuer}/me"

    def settings(self) -> dict[str, str]:
        """The platform's environment for signing in against this provider."""
        return {
            "PSC_DISCOVERY_URL": self.discovery_url,
            "PSC_CLIENT_ID": self.client_id,
            "PSC_CLIENT_SECRET": self.client_secret,
        }

    def _config(self) -> dict[str, Any]:
        return {
            "introspectors": [self.introspection_client_id],
            "clients": [
                {
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "redirect_uris": [f"http://127.0.0.1{CALLBACK_PATH}"],
                    "post_logout_redirect_uris": [f"http://127.0.0.1{LOGGED_OUT_PATH}"],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "response_types": ["code"],
                    "userinfo_signed_response_alg": "RS256",
                    "token_endpoint_auth_method": "client_secret_basic",
                },
                {
                    "client_id": self.introspection_client_id,
                    "client_secret": self.introspection_client_secret,
                    "redirect_uris": [],
                    "grant_types": [],
                    "response_types": [],
                    "token_endpoint_auth_method": "client_secret_basic",
                },
            ],
        }

    def start(
        self, identities: list[dict[str, Any]] | None = None, timeout: float = 30
    ) -> PscProvider:
        install()
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node est requis pour le fournisseur Pro Santé Connect de test")
        self.port = self.port or _free_port()
        KEYS_FILE.parent.mkdir(exist_ok=True)
        self._workdir = tempfile.TemporaryDirectory(prefix="psc-")
        work = Path(self._workdir.name)
        (work / "identities.json").write_text(json.dumps(identities or demo_identities()))
        (work / "config.json").write_text(json.dumps(self._config()))
        (work / "config.json").chmod(0o600)
        command = [
            node,
            str(PSC_DIR / "server.mjs"),
            "--port",
            str(self.port),
            "--identities",
            str(work / "identities.json"),
            "--config",
            str(work / "config.json"),
            "--access-ttl",
            str(self.access_ttl),
            "--keys",
            str(KEYS_FILE),
        ]
        if self.test_endpoints:
            command.append("--test-endpoints")
        self.log = (work / "psc.log").open("wb")
        self.process = subprocess.Popen(command, cwd=PSC_DIR, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"le fournisseur PSC de test s'est arrêté : {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.discovery_url, timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"le fournisseur PSC de test n'a pas démarré : {tail}")

    def log_tail(self, size: int = 2000) -> str:
        if self._workdir is None:
            return ""
        return (Path(self._workdir.name) / "psc.log").read_text(errors="replace")[-size:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._workdir is not None:
            self.log.close()
            self._workdir.cleanup()
            self._workdir = None

    # Test-only controls (POST /test/*, loopback only, enabled by --test-endpoints).
    def _test_call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - loopback URL built here
            f"{self.issuer}/test/{path}",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                result: dict[str, Any] = json.load(answer)
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"/test/{path}: {error.code} {error.read()!r}") from error
        return result

    def access_token(self, rpps: str, client_id: str | None = None, ttl: int = 0) -> str:
        """TEST ONLY: an access token for this RPPS without the browser (as if they had signed in
        to the platform), for mail-server tests. Introspection answers active with SubjectNameID.
        ``ttl``: its lifetime in seconds (default: the provider's access-token lifetime)."""
        body: dict[str, Any] = {"rpps": rpps, "client_id": client_id or self.client_id}
        if ttl:
            body["ttl"] = ttl
        return str(self._test_call("token", body)["access_token"])

    def end_session(self, rpps: str) -> int:
        """TEST ONLY: the professional's PSC session ends; all their tokens are revoked."""
        return int(self._test_call("end-session", {"rpps": rpps})["revoked"])

    def inject_fault(self, fault: str) -> None:
        """TEST ONLY: the next ID token is tampered with: wrong_acr, bad_signature,
        expired_id_token or wrong_nonce."""
        self._test_call("fault", {"fault": fault})

    def sign_in(self, authorize_url: str, rpps: str) -> str:
        """Plays the professional at the provider without a browser: opens the authorization URL,
        picks the identity, and returns the URL the provider redirects back to (with code and
        state), without following it."""
        import requests

        # The professional's browser at the provider keeps its PSC session cookie, for logout.
        browser = self._browsers.setdefault(rpps, requests.Session())
        url = authorize_url
        method, data = "GET", None
        for _ in range(10):
            answer = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
            if answer.is_redirect:
                url = urllib.parse.urljoin(url, answer.headers["location"])
                if not url.startswith(self.issuer):
                    return url
                method, data = "GET", None
            elif answer.status_code == 200 and "/interaction/" in url:
                method, data = "POST", {"rpps": rpps}
                url = url.rstrip("/") + "/login"
            else:
                raise RuntimeError(f"PSC de test : {answer.status_code} {answer.text[:300]}")
        raise RuntimeError("PSC de test : trop de redirections")

    def follow_logout(self, logout_url: str, rpps: str = "") -> str:
        """Plays the browser at the provider's RP-initiated logout (its page submits itself, as
        PSC does); returns where the provider sends the browser back."""
        import requests

        browser = self._browsers.pop(rpps, None) or requests.Session()
        page = browser.get(logout_url, timeout=10)
        form = _FormParser()
        form.feed(page.text)
        answer = browser.post(
            urllib.parse.urljoin(logout_url, form.action),
            data={**form.fields, "logout": "yes"},
            allow_redirects=False,
            timeout=10,
        )
        if not answer.is_redirect:
            raise RuntimeError(f"PSC de test : déconnexion {answer.status_code}")
        return str(answer.headers["location"])

    def introspect(self, token: str) -> dict[str, Any]:
        """What the mail server sees for a token (same call as Dovecot's oauth2 passdb)."""
        request = urllib.request.Request(  # noqa: S310 - loopback URL built here
            self.introspection_url,
            data=f"token={token}".encode(),
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "authorization": "Basic "
                + _basic(self.introspection_client_id, self.introspection_client_secret),
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            result: dict[str, Any] = json.load(answer)
        return result


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action") or ""
        elif tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="session")
def psc_provider() -> Iterator[PscProvider]:
    """A running local PSC for the whole session (stopped at the end)."""
    provider = PscProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


def main() -> None:
    """`python -m tests.support.psc --port N`: the provider in the foreground (make run)."""
    import argparse

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    django.setup()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--env-file", help="write the platform's PSC_* settings to this file")
    args = parser.parse_args()
    provider = PscProvider(port=args.port, test_endpoints=False).start()

    def stop(*_: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    if args.env_file:
        Path(args.env_file).write_text(
            "".join(f"export {k}={v}\n" for k, v in provider.settings().items())
        )
    print(f"Pro Santé Connect (test) sur {provider.issuer}", flush=True)
    try:
        assert provider.process is not None
        provider.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        provider.stop()


if __name__ == "__main__":
    main()
