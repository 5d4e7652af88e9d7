"""The pytest fixture of the two test operators (one pair for the whole session)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.operator.operator import (
    DEFAULT_ACCOUNTS,
    OP1,
    OP2,
    Operators,
    start_operators,
    with_members,
)
from tests.support.psc import PscProvider, demo_identities

__all__ = ["mss_operators", "operator_identities", "operator_members", "start_with_psc"]

# The demo GP's PSC identity says her MSSanté address is her PER box at op1: Dovecot's oauth2
# passdb compares it (introspection ``email``) with the XOAUTH2 user.


def operator_identities() -> list[dict[str, object]]:
    identities = demo_identities()
    for identity in identities:
        if identity["given_name"] == "Claire" and identity["family_name"] == "Martin":
            identity["email"] = f"dr.martin@{OP1}"
    return identities


def operator_members() -> dict[str, tuple[str, ...]]:
    """Who may open each ORG mailbox of the operators with their own PSC token (the operator's
    record of the structure's staff): the SSIAD nurse for the SSIAD's box, Dr Bernard for the
    hospital secretariat's, the pharmacist for the pharmacy's. Dr Martin is a member of none."""
    from backend import demo
    from backend.accounts.identifiers import make_rpps

    rpps = {p.username: make_rpps(p.rpps_body) for p in demo.PEOPLE if p.rpps_body}
    return {
        f"ssiad@{OP2}": (rpps["ide.durand"],),
        f"secretariat@{OP1}": (rpps["dr.bernard"],),
        f"pharmacie@{OP2}": (rpps["ph.lambert"],),
    }


def start_with_psc(root: Path, psc_port: int = 0, test_endpoints: bool = True) -> Operators:
    """op1 and op2 under ``root`` with a local Pro Santé Connect whose token introspection
    Dovecot's oauth2 passdb (PER) and the delegation program (ORG) call: PER boxes and the ORG
    boxes of ``operator_members`` open with a PSC token. ``operators.psc`` is the provider."""
    provider = PscProvider(port=psc_port, test_endpoints=test_endpoints).start(
        operator_identities()
    )
    introspection = provider.introspection_url.replace(
        "http://",
        f"http://{provider.introspection_client_id}:{provider.introspection_client_secret}@",
    )
    try:
        operators = start_operators(
            root,
            with_members(DEFAULT_ACCOUNTS, operator_members()),
            introspection_url=introspection,
        )
    except BaseException:
        provider.stop()
        raise
    operators.psc = provider
    return operators


@pytest.fixture(scope="session")
def mss_operators() -> Iterator[Operators]:
    # Not under pytest's tmp_path: its 0700 parents would keep Postfix's lmtp client (user
    # postfix) from reaching Dovecot's socket.
    root = Path(tempfile.mkdtemp(prefix="liaison-operators-"))
    root.chmod(0o755)  # mkdtemp makes it 0700; the postfix user must traverse it
    try:
        operators = start_with_psc(root / "ops")
        try:
            yield operators
        finally:
            try:
                operators.stop()
            finally:
                operators.psc.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
