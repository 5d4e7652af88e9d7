"""WebSocket origin: scheme, host and port must match the configured public origin (or, when
none is configured, the Host the socket connects to). The host alone is not enough."""

from __future__ import annotations

import subprocess
import sys

import pytest
from channels.testing import WebsocketCommunicator

from backend.asgi import application
from tests.wsclient import session_cookie

pytestmark = [pytest.mark.django_db(transaction=True)]


async def handshake(user, origin: str, host: str = "testserver", scheme: str = "ws") -> bool:
    headers = [(b"origin", origin.encode()), (b"host", host.encode())]
    headers.append((b"cookie", f"sessionid={await session_cookie(user)}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("https://messagerie.example.fr", True),
        ("https://messagerie.example.fr:443", True),
        ("HTTPS://Messagerie.Example.FR", True),
        ("http://messagerie.example.fr", False),  # same host, plain HTTP
        ("https://messagerie.example.fr:8443", False),  # same host, another port
        ("https://evil.example", False),
        ("https://messagerie.example.fr.evil.example", False),
        ("null", False),
        ("https://messagerie.example.fr/path", False),
    ],
)
async def test_only_the_configured_public_origin_may_open_a_socket(
    personas, settings, origin, accepted
):
    settings.ALLOWED_HOSTS = ["messagerie.example.fr", "testserver"]
    settings.PUBLIC_ORIGINS = ["https://messagerie.example.fr"]
    assert await handshake(personas.gp, origin, host="messagerie.example.fr") is accepted


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "accepted"),
    [
        ("http://testserver", "testserver", "ws", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
        ("http://127.0.0.1:5173", "127.0.0.1:8000", "ws", False),  # another port on the host
        ("https://testserver", "testserver", "ws", False),  # scheme differs from the socket's
        ("https://testserver", "testserver", "wss", True),
    ],
)
async def test_without_configuration_the_page_must_be_same_origin(
    personas, settings, origin, host, scheme, accepted
):
    settings.PUBLIC_ORIGINS = []
    assert await handshake(personas.gp, origin, host=host, scheme=scheme) is accepted


def test_a_malformed_public_origin_is_refused_at_start():
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "PUBLIC_ORIGIN": "messagerie.example.fr",
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0 and "PUBLIC_ORIGIN" in run.stderr
