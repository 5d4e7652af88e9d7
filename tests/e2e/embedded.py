"""The embedded mode as `make run` starts it, for browser tests: SQLite in a temporary folder,
the in-memory channel layer, Celery's filesystem broker with no worker running (queued tasks
wait; a test that needs them passes CELERY_TASK_ALWAYS_EAGER), the demo accounts."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.servers import ROOT, Daphne

# The demo people the tests use share a conversation (the demo data has none).
_CONVERSATION = """
from backend.accounts.models import User
from conversations import actions
martin, bernard, petit = (
    User.objects.get(username=u) for u in ("dr.martin", "dr.bernard", "dr.petit")
)
actions.create_conversation(martin, users=[bernard])
actions.create_conversation(martin, users=[petit])
"""


def embedded_env(var_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "PLATFORM_VAR_DIR": str(var_dir),
        **extra,
    }


class EmbeddedServer(Daphne):
    """daphne in the embedded mode, its database migrated and seeded before it starts."""

    def __init__(self, **env: str) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="liaison-embedded-")
        super().__init__(None, **embedded_env(Path(self.tmp.name), **env))

    def manage(self, *args: str) -> None:
        # Empty DATABASE_URL and REDIS_URL mean "not set": SQLite and no Redis, as in `make run`.
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
            timeout=300,
        )

    def start(self, timeout: float = 30) -> EmbeddedServer:
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo")
        self.manage("shell", "-c", _CONVERSATION)
        super().start(timeout)
        return self

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        self.tmp.cleanup()
