"""Request bodies are refused by size before authentication and before being read.

Two doors, one rule (``body_limit``): the ASGI wrapper (what daphne runs) answers 413 from the
Content-Length alone, or as soon as a chunked body passes the limit, before Django reads a byte
into a request; the Django middleware (first in MIDDLEWARE) does the same for any other entry
(WSGI, the test client). nginx applies the same figures (deploy/nginx).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from backend.api.errors import error_body

UPLOAD_PATHS = ("/api/attachments",)
# The multipart envelope around an attachment (boundaries, part headers, the other fields).
UPLOAD_ENVELOPE_BYTES = 1024 * 1024
TOO_LARGE = "Le contenu envoyé est trop volumineux."


def body_limit(path: str) -> int:
    if path.rstrip("/") in UPLOAD_PATHS:
        return int(settings.ATTACHMENT_MAX_BYTES) + UPLOAD_ENVELOPE_BYTES
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _too_large_body(limit: int) -> dict[str, Any]:
    return error_body("too_large", TOO_LARGE, {"body": [f"{limit} octets au plus."]})


def _declared_length(value: str | bytes | None) -> int | None:
    try:
        return int(value) if value not in (None, b"", "") else None
    except ValueError:
        return None


class BodyLimitMiddleware:
    """Django side: 413 from CONTENT_LENGTH, before the session, CSRF and authentication."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request.path)
        length = _declared_length(request.META.get("CONTENT_LENGTH"))
        if length is not None and length > limit:
            return JsonResponse(_too_large_body(limit), status=413)
        return self.get_response(request)


class BodyLimitASGI:
    """ASGI side: the body is counted as it arrives; past the limit the client gets its 413 and
    Django sees a disconnect (so it never builds the request)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_limit(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        length = _declared_length(headers.get(b"content-length"))
        if length is not None and length > limit:
            return await self._refuse(send, limit)
        received = 0
        refused = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await self._refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            if not refused:  # after our 413, Django's own answer (if any) is dropped
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    @staticmethod
    async def _refuse(send: Any, limit: int) -> None:
        body = json.dumps(_too_large_body(limit), ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
