"""No 500 from input: absurdly nested JSON on every operation (sign-in included), integers
beyond 64 bits in bodies, query strings and frames, oversized bodies (413) and CSRF failures
all answer with the contract's error shape."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import assert_error
from tests.wsclient import connect

DEEP_LIST = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 5_000 + "1" + "}" * 5_000
HUGE = 2**70


def operations(client) -> list[tuple[str, str]]:
    schema = client.get("/api/schema/?format=json").json()
    ops = []
    for path, item in schema["paths"].items():
        url = path
        for name in ("id", "pk", "message_id", "conversation_id", "user_id"):
            url = url.replace("{" + name + "}", str(uuid.uuid4()))
        for method in item:
            if method in ("post", "put", "patch"):
                ops.append((method, url))
    return ops


@pytest.mark.django_db
@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT], ids=["deep-list", "deep-object"])
def test_deep_json_is_a_400_on_every_operation(personas, body):
    signed_in = APIClient()
    signed_in.force_authenticate(personas.gp)
    ops = operations(signed_in)
    assert ("post", "/api/auth/login") in ops and len(ops) >= 15
    for client in (APIClient(), signed_in):
        for method, url in ops:
            response = getattr(client, method)(url, body, content_type="application/json")
            assert response.status_code < 500, (method, url, response.content[:200])
            if url == "/api/auth/login" or (client is signed_in and response.status_code == 400):
                assert_error(response, 400)


@pytest.mark.django_db
def test_integers_beyond_64_bits_are_refused(personas, as_user):
    from conversations import actions

    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    gp = as_user(personas.gp)
    base = f"/api/conversations/{conversation.pk}"
    assert_error(gp.post(f"{base}/read", {"seq": HUGE}, format="json"), 400)
    assert_error(
        gp.post(f"{base}/read", f'{{"seq": {"9" * 5000}}}', content_type="application/json"), 400
    )
    for query in (f"after_seq={HUGE}", f"before_seq={HUGE}", f"limit={HUGE}", f"after_seq=-{HUGE}"):
        assert_error(gp.get(f"{base}/messages?{query}"), 400)
    for url in (f"/api/mssante/messages?limit={HUGE}", f"/api/mssante/messages?offset={HUGE}"):
        assert gp.get(url).status_code == 400
    assert gp.post(f"{base}/read", {"seq": 0}, format="json").status_code < 400


@pytest.mark.django_db(transaction=True)
async def test_integers_beyond_64_bits_in_frames_get_an_error_frame(personas):
    socket = await connect(personas.gp)
    conversation = str(uuid.uuid4())
    for frame in (
        {"type": "read", "conversation": conversation, "seq": HUGE},
        {"type": "sync", "cursors": {conversation: HUGE}},
    ):
        await socket.send({**frame, "ref": "big"})
        # Refused while parsing (before the ref is read): an error frame, the socket stays open.
        assert (await socket.expect("error"))["code"] == "bad_json"
    await socket.send({"type": "ping", "ref": "alive"})
    assert (await socket.expect("pong"))["ref"] == "alive"
    await socket.close()


@pytest.mark.django_db
def test_an_oversized_body_is_a_413_in_the_error_shape(personas, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = json.dumps({"username": "x" * 4096, "password": "y"})
    response = APIClient().post("/api/auth/login", big, content_type="application/json")
    assert_error(response, 413, "too_large")


@pytest.mark.django_db
def test_a_csrf_failure_outside_drf_answers_in_the_error_shape(personas):
    """Django's own CSRF check (views that are not DRF's): JSON under /api/, not an HTML page."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.gp)
    response = browser.post("/api/no-such-endpoint", {"x": 1})
    assert_error(response, 403, "csrf_failed")


async def asgi_post(path: str, chunks: list[bytes], length: int | None) -> tuple[int, bytes, int]:
    """POST through the ASGI application daphne runs; returns (status, body, chunks read)."""
    from backend.asgi import application

    headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    pending = list(chunks)
    read = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal read
        if not pending:
            return {"type": "http.disconnect"}
        read += 1
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict) -> None:
        sent.append(message)

    await application(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, read


@pytest.mark.django_db(transaction=True)
async def test_a_declared_oversized_body_is_refused_before_being_read(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    status, body, read = await asgi_post("/api/conversations", [b"x" * 4096], length=4096)
    assert (status, read) == (413, 0)  # not 401: refused before authentication, unread
    assert json.loads(body)["error"]["code"] == "too_large"


@pytest.mark.django_db(transaction=True)
async def test_a_chunked_body_is_cut_off_once_past_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    chunks = [b"x" * 512] * 10
    status, body, read = await asgi_post("/api/conversations", chunks, length=None)
    assert status == 413 and read == 3  # the third chunk crossed the limit; no more was read
    assert json.loads(body)["error"]["code"] == "too_large"
