"""Which push endpoints the server may post to. The endpoint comes from the browser: without this
check a client could make the server send requests to any address (SSRF)."""

from __future__ import annotations

import fnmatch
from urllib.parse import urlsplit

from django.conf import settings


def allowed_endpoint(url: str) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    plain_http = parts.scheme == "http" and settings.WEB_PUSH_ALLOW_HTTP
    if parts.scheme != "https" and not plain_http:
        return False
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or parts.fragment:
        return False
    if port not in (None, 443) and not settings.WEB_PUSH_ALLOW_HTTP:
        return False
    patterns = [p.lower() for p in settings.WEB_PUSH_ALLOWED_HOSTS]
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in patterns)
