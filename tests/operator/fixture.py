"""The pytest fixture of the two test operators (one pair for the whole session)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.operator.operator import Operators, start_operators

__all__ = ["mss_operators"]


@pytest.fixture(scope="session")
def mss_operators() -> Iterator[Operators]:
    # Not under pytest's tmp_path: its 0700 parents would keep Postfix's lmtp client (user
    # postfix) from reaching Dovecot's socket.
    root = Path(tempfile.mkdtemp(prefix="liaison-operators-"))
    root.chmod(0o755)  # mkdtemp makes it 0700; the postfix user must traverse it
    operators = start_operators(root / "ops")
    try:
        yield operators
    finally:
        operators.stop()
        shutil.rmtree(root, ignore_errors=True)
