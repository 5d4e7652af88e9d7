"""Request ids and JSON log lines.

Every HTTP request gets an id (from X-Request-ID when a trusted proxy set a sane one, else a new
one); it is echoed in the response, attached to audit events and to every log line. Log lines
carry ids and codes only: never message bodies, report content or patient traits.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# Set here for HTTP and by the WebSocket consumer, so audit events get it without plumbing.
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def client_ip(meta: dict[str, str]) -> str | None:
    """The client address; X-Forwarded-For is only believed behind our own proxy."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return meta.get("REMOTE_ADDR") or None


def address_block(ip: str) -> str:
    """The unit a per-address limit counts: an IPv4 address, or an IPv6 address's /64 (one
    subscriber's or site's allocation, within which an attacker can change address at will)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 4:
        return ip
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip(request.META))
        try:
            request.request_id = request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            return response
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def scrub_traceback(text: str) -> str:
    """PostgreSQL errors quote row values ("DETAIL:  Key (ins)=(2850377...) already exists"):
    such lines may carry an INS or a name, so they never reach the logs."""
    return "\n".join(
        "DETAIL: (retiré des journaux)" if line.lstrip().startswith("DETAIL:") else line
        for line in text.splitlines()
    )


class JsonFormatter(logging.Formatter):
    # Only these extra attributes are copied: an accidental extra={"body": ...} never reaches logs.
    ALLOWED_EXTRA = ("event", "user_id", "conversation_id", "code", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key in self.ALLOWED_EXTRA:
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exc"] = scrub_traceback(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False, default=str)
