"""`manage.py frames_typescript`: write the client's frame types from the server's registry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from conversations.frames_typescript import OUTPUT, render


class Command(BaseCommand):
    help = "Écrit frontend/src/api/frames.gen.ts à partir du registre des trames WebSocket."

    def handle(self, *args: Any, **options: Any) -> None:
        OUTPUT.write_text(render(), encoding="utf-8")
        self.stdout.write(f"{OUTPUT} écrit.")
