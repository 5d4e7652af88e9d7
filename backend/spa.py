"""Serves the built web client's index.html for every non-API path (client-side routing)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

PLACEHOLDER = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Liaison Santé</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Liaison Santé</h1>
<p>L'application web n'est pas encore construite : lancez <code>make run</code>.</p>
<p><a href="/api/docs/">Documentation de l'API</a></p></main></body></html>
"""


@lru_cache(maxsize=1)
def _index_html(mtime: float) -> str:
    return (settings.FRONTEND_DIST / "index.html").read_text(encoding="utf-8")


@require_safe
@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    index_file = settings.FRONTEND_DIST / "index.html"
    if not index_file.is_file():
        return HttpResponse(PLACEHOLDER)
    response = HttpResponse(_index_html(index_file.stat().st_mtime))
    # The shell changes with each release; the hashed assets are cached by WhiteNoise instead.
    response["Cache-Control"] = "no-cache"
    return response
