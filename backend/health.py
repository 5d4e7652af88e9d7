"""Liveness, readiness and Prometheus metrics (no personal data; metrics behind METRICS_TOKEN)."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from backend import metrics as platform_metrics
from backend.mssante.trust import allowlist_status

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked (a liveness probe must not cascade)."""
    return JsonResponse({"status": "ok"})


async def _channel_layer_roundtrip() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer")
    channel = await layer.new_channel("readyz.")
    await layer.send(channel, {"type": "readyz.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("type") != "readyz.ping":
        raise RuntimeError("unexpected channel layer answer")


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # a probe reports, it does not raise
        logger.warning("readyz database check failed", extra={"code": type(exc).__name__})
        checks["database"] = "error"
    try:
        async_to_sync(_channel_layer_roundtrip)()
        checks["channel_layer"] = "ok"
    except Exception as exc:
        logger.warning("readyz channel layer check failed", extra={"code": type(exc).__name__})
        checks["channel_layer"] = "error"
    ready = all(value == "ok" for value in checks.values())
    body: dict[str, object] = {"status": "ok" if ready else "error", "checks": checks}
    if ready:
        # Flagged, not failing: a stale or missing ANS allow-list stops MSSanté sending only.
        body["flags"] = {"mssante_allowlist": allowlist_status().label}
    return JsonResponse(body, status=200 if ready else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition of this process. With METRICS_TOKEN set, only a scraper that
    sends `Authorization: Bearer <token>` sees it; anyone else gets a plain 404. In production
    it is never open: without a configured token nobody sees it."""
    token = settings.METRICS_TOKEN
    if settings.PRODUCTION and not token:
        raise Http404
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise Http404
    allowlist = allowlist_status()
    age = allowlist.age.total_seconds() if allowlist.age is not None else -1
    extra = (
        "# TYPE liaison_mssante_allowlist_age_seconds gauge\n"
        f"liaison_mssante_allowlist_age_seconds {age:.0f}\n"
        "# TYPE liaison_mssante_allowlist_stale gauge\n"
        f"liaison_mssante_allowlist_stale {int(allowlist.stale)}\n"
    )
    return HttpResponse(platform_metrics.render() + extra, content_type="text/plain; version=0.0.4")


class ProbeMiddleware:
    """Answers the probes before host validation: Kubernetes and container health checks call
    them by pod IP or 127.0.0.1, which DJANGO_ALLOWED_HOSTS rightly does not list. They reveal
    nothing and change nothing, so skipping the Host check is safe."""

    PROBES = {"/healthz": healthz, "/readyz": readyz}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
