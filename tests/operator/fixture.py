"""The pytest fixture of the two test operators (one pair for the whole session)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.operator.operator import OP1, Operators, start_operators
from tests.support.psc import PscProvider, demo_identities

__all__ = ["mss_operators", "operator_identities"]

# The demo GP's PSC identity says her MSSanté address is her PER box at op1: Dovecot's oauth2
# passdb compares it (introspection ``email``) with the XOAUTH2 user.


def operator_identities() -> list[dict[str, object]]:
    identities = demo_identities()
    for identity in identities:
        if identity["given_name"] == "Claire" and identity["family_name"] == "Martin":
            identity["email"] = f"dr.martin@{OP1}"
    return identities


@pytest.fixture(scope="session")
def mss_operators() -> Iterator[Operators]:
    # Not under pytest's tmp_path: its 0700 parents would keep Postfix's lmtp client (user
    # postfix) from reaching Dovecot's socket.
    root = Path(tempfile.mkdtemp(prefix="liaison-operators-"))
    root.chmod(0o755)  # mkdtemp makes it 0700; the postfix user must traverse it
    provider = PscProvider().start(operator_identities())
    introspection = provider.introspection_url.replace(
        "http://",
        f"http://{provider.introspection_client_id}:{provider.introspection_client_secret}@",
    )
    try:
        operators = start_operators(root / "ops", introspection_url=introspection)
        operators.psc = provider
        try:
            yield operators
        finally:
            operators.stop()
    finally:
        provider.stop()
        shutil.rmtree(root, ignore_errors=True)
