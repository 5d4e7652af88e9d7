"""The client's frame types are generated from the server's registry and checked in: any
change to `conversations/frames.py` must come with `python manage.py frames_typescript`."""

from __future__ import annotations

from conversations.frames_typescript import OUTPUT, render


def test_checked_in_frame_types_match_the_server_registry():
    assert OUTPUT.read_text(encoding="utf-8") == render(), (
        "frontend/src/api/frames.gen.ts is stale: run `python manage.py frames_typescript`"
    )
