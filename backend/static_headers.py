"""WhiteNoise header hook (imported by settings, so it imports nothing from Django)."""

from __future__ import annotations


def static_headers(headers: dict[str, str], path: str, url: str) -> None:
    """The service worker lives under /static/ but controls the whole app, and it and the
    manifest must be revalidated so that a release reaches users at once."""
    if url.endswith("/sw.js"):
        headers["Service-Worker-Allowed"] = "/"
        headers["Cache-Control"] = "no-cache"
    elif url.endswith("/manifest.webmanifest"):
        headers["Cache-Control"] = "no-cache"
