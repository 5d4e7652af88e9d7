"""Two test MSSanté operators on loopback: Debian's Postfix and Dovecot, as an operator runs them.

``start_operators(root)`` writes a test IGC-Santé chain and the configuration of two operators
(``op1.test.mssante.fr``, ``op2.test.mssante.fr``), starts one Postfix and one Dovecot per
operator on free 127.0.0.1 ports, and returns what a client needs (ports, CA bundle, CRL,
client certificates). The operators relay to each other, so a mail submitted to op1 for an op2
address lands in op2's IMAP box. With ``introspection_url`` (the local PSC provider's, as the
pytest fixture gives), PER and ORG mailboxes accept XOAUTH2 with a PSC token (ORG: a member's,
see ``delegation.py``). ``stop()`` stops all four daemons. The packages come from
``tests/operator/install.sh`` (policy-rc.d keeps Debian from starting them itself).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tests.operator.config import MAIL_UID, Account, OperatorLayout, dovecot_conf, postfix_files
from tests.operator.pki import Pki, make_pki

__all__ = ["DEFAULT_ACCOUNTS", "Operators", "start_operators", "with_members"]

OP1 = "op1.test.mssante.fr"
OP2 = "op2.test.mssante.fr"
PASSWORD = "mot-de-passe-de-test"
# ORG mailboxes have no password: their members open them with their own PSC token (the
# fixture lists the members, see tests/operator/fixture.py); APP mailboxes use mTLS.
DEFAULT_ACCOUNTS = (
    Account(f"dr.martin@{OP1}", "PER", PASSWORD),
    Account(f"secretariat@{OP1}", "ORG"),
    Account(f"ehpad@{OP1}", "ORG"),
    Account(f"dr.durand@{OP2}", "PER", PASSWORD),
    Account(f"ssiad@{OP2}", "ORG"),
    Account(f"pharmacie@{OP2}", "ORG"),
    Account(f"labo-app@{OP2}", "APP"),
    Account(f"dpi-app@{OP1}", "APP"),
)


def with_members(
    accounts: tuple[Account, ...], members: dict[str, tuple[str, ...]]
) -> tuple[Account, ...]:
    """``accounts`` with the ORG mailboxes' members (address -> RPPS) set."""
    return tuple(
        replace(a, members=members.get(a.address, a.members)) if a.kind == "ORG" else a
        for a in accounts
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, what: str, log: Path) -> None:
    # Startup of a daemon we launched: polling its port is the only signal it gives.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"{what} n'écoute pas sur le port {port}.\n{tail}")


@dataclass
class Operators:
    root: Path
    pki: Pki
    ops: dict[str, OperatorLayout] = field(default_factory=dict)
    password: str = PASSWORD
    psc: Any = None  # the PscProvider whose introspection Dovecot's oauth2 passdb calls

    def op(self, domain_or_name: str) -> OperatorLayout:
        for op in self.ops.values():
            if domain_or_name in (op.name, op.domain):
                return op
        raise KeyError(domain_or_name)

    def of(self, address: str) -> OperatorLayout:
        return self.op(address.rsplit("@", 1)[1])

    def client_cert(self, address: str) -> tuple[Path, Path]:
        """Certificate chain and key of an APP mailbox (CN = its address)."""
        return self.pki.cert(_client_name(address))

    def maildir(self, address: str) -> Path:
        local, domain = address.split("@", 1)
        return self.of(address).mail_dir / domain / local / "Maildir"

    def stop(self) -> None:
        for op in self.ops.values():
            subprocess.run(
                ["postfix", "-c", str(op.postfix_dir), "stop"], capture_output=True, check=False
            )
            pid_file = op.run_dir / "master.pid"
            if pid_file.exists():
                subprocess.run(
                    ["doveadm", "-c", str(op.dovecot_dir / "dovecot.conf"), "stop"],
                    capture_output=True,
                    check=False,
                )


def _client_name(address: str) -> str:
    return "client-" + address.replace("@", "-at-")


def _write(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content)


def _postfix(op: OperatorLayout, command: str) -> None:
    # Postfix prints its fatal errors only to a terminal or syslog; keep the output for errors.
    done = subprocess.run(
        ["postfix", "-c", str(op.postfix_dir), command], capture_output=True, text=True
    )
    if done.returncode != 0:
        log = op.log_dir / "postfix.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"postfix {command} ({op.name}) : {done.stderr}{tail}")


def _prepare(op: OperatorLayout) -> None:
    for directory in (op.run_dir, op.log_dir, op.root / "data", op.queue_dir):
        directory.mkdir(parents=True, exist_ok=True)
    op.mail_dir.mkdir(parents=True, exist_ok=True)
    os.chown(op.mail_dir, MAIL_UID, MAIL_UID)
    _write(op.postfix_dir, postfix_files(op))
    _write(op.dovecot_dir, dovecot_conf(op))
    program = op.dovecot_dir / "delegation.py"
    if program.exists():
        program.chmod(0o755)  # run by Dovecot's auth process
    # Postfix's own tools create and check the queue tree (owner postfix, group postdrop).
    _postfix(op, "set-permissions")
    (op.queue_dir / "private").mkdir(exist_ok=True)


def _start(op: OperatorLayout) -> None:
    # Dovecot's master keeps the standard streams it was started with: given the caller's, it
    # held `make operator | tee` open until make operator-stop. Its own log is dovecot.log.
    started = op.log_dir / "dovecot-start.log"
    with started.open("ab") as out:
        done = subprocess.run(
            ["dovecot", "-c", str(op.dovecot_dir / "dovecot.conf")],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"dovecot ({op.name}) : {started.read_text(errors='replace')[-2000:]}")
    _postfix(op, "start")
    _wait_port(op.imap_port, f"Dovecot {op.name}", op.log_dir / "dovecot.log")
    _wait_port(op.submission_port, f"Postfix {op.name}", op.log_dir / "postfix.log")
    _wait_port(op.mx_port, f"Postfix {op.name}", op.log_dir / "postfix.log")


def start_operators(
    root: Path,
    accounts: tuple[Account, ...] = DEFAULT_ACCOUNTS,
    introspection_url: str = "",
) -> Operators:
    """Write and start op1 and op2 under ``root`` (emptied first)."""
    if shutil.which("postfix") is None or shutil.which("dovecot") is None:
        raise RuntimeError("Postfix et Dovecot manquent : lancer tests/operator/install.sh")
    # The platform's settings set umask 027; the daemons' own users (postfix, dovecot, mail)
    # must traverse these directories.
    saved = os.umask(0o022)
    try:
        return _start_operators(root, accounts, introspection_url)
    finally:
        os.umask(saved)


def _start_operators(
    root: Path, accounts: tuple[Account, ...], introspection_url: str
) -> Operators:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    root.chmod(0o755)
    servers = {
        name: f"DNS:mx.{domain},DNS:imap.{domain},DNS:{domain},DNS:localhost,IP:127.0.0.1"
        for name, domain in (("op1", OP1), ("op2", OP2))
    }
    clients = {_client_name(a.address): a.address for a in accounts if a.kind == "APP"}
    pki = make_pki(root / "pki", servers, clients)
    operators = Operators(root=root, pki=pki)
    for name, domain in (("op1", OP1), ("op2", OP2)):
        cert, key = pki.cert(name)
        operators.ops[name] = OperatorLayout(
            name=name,
            domain=domain,
            root=root / name,
            cert=cert,
            key=key,
            ca_bundle=pki.ca_bundle,
            mx_port=free_port(),
            submission_port=free_port(),
            imap_port=free_port(),
            accounts=[a for a in accounts if a.domain == domain],
            introspection_url=introspection_url,
        )
    op1, op2 = operators.ops["op1"], operators.ops["op2"]
    op1.relays[OP2], op2.relays[OP1] = op2.mx_port, op1.mx_port
    for op in (op1, op2):
        _prepare(op)
    try:
        for op in (op1, op2):
            _start(op)
    except BaseException:
        operators.stop()
        raise
    return operators
