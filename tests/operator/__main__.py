"""``python -m tests.operator start|stop [DIR] [--psc-port N]``: the two test operators for
manual use, with the local Pro Santé Connect their XOAUTH2 logins are checked against.

``start`` (``make operator``) prints the ports, the CA bundle and how to point the platform at
the operators and at the provider; ``stop`` (``make operator-stop``) stops all of them.
"""

from __future__ import annotations

import argparse
import os
import pickle
import signal
import sys
from pathlib import Path

from tests.operator.operator import Operators

PSC_PID = "psc.pid"
PSC_ENV = "psc.env"


def _stop_psc(root: Path) -> None:
    pid_file = root / PSC_PID
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    # Only the provider this command started: the pid may have been reused since.
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"server.mjs" in cmdline.read_bytes():
        os.kill(pid, signal.SIGTERM)
    pid_file.unlink()


def _start(root: Path, psc_port: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    django.setup()  # the provider's identities come from backend/demo.py
    from tests.operator.fixture import operator_members, start_with_psc

    operators = start_with_psc(root, psc_port=psc_port)
    provider, operators.psc = operators.psc, None  # the provider outlives this command
    assert provider.process is not None
    (root / PSC_PID).write_text(str(provider.process.pid))
    (root / "operators.pickle").write_bytes(pickle.dumps(operators))
    env = root / PSC_ENV
    env.write_text("".join(f"export {k}={v}\n" for k, v in provider.settings().items()))
    env.chmod(0o600)
    for op in operators.ops.values():
        print(
            f"{op.domain}: submission 127.0.0.1:{op.submission_port}, "
            f"IMAP 127.0.0.1:{op.imap_port}, MX 127.0.0.1:{op.mx_port}"
        )
    print(f"CA IGC-Santé de test : {operators.pki.ca_bundle}")
    print(f"CRL : {operators.pki.crl}")
    print(f"Mot de passe de test (BAL PER) : {operators.password}")
    print(f"Pro Santé Connect (test) : {provider.issuer} (introspection pour Dovecot)")
    print("XOAUTH2 : BAL PER (jeton de sa titulaire) et BAL ORG (jeton d'un membre) :")
    for address, members in operator_members().items():
        print(f"  {address} : RPPS {', '.join(members)}")
    print(f"Plateforme sur ce fournisseur : . {env} && make run   (sans PSC=local),")
    print("puis « Se connecter avec Pro Santé Connect » en tant qu'un membre.")
    print(
        f"Jeton de test sans navigateur : curl -s -X POST {provider.issuer}/test/token "
        "-H 'content-type: application/json' -d '{\"rpps\": \"<RPPS>\"}'"
    )
    print("Arrêt : make operator-stop")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.operator")
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("dir", nargs="?")
    parser.add_argument("--psc-port", type=int, default=0, help="0: a free port")
    args = parser.parse_args(argv)
    default = Path(__file__).resolve().parents[2] / "var" / "operators"
    root = Path(args.dir).resolve() if args.dir else default
    if not args.dir and default.parent.exists():
        # var/ is made 0750 by the platform's umask: the daemons' own users (postfix, dovecot,
        # mail) must traverse it to reach their directories (search only, no listing).
        default.parent.chmod(default.parent.stat().st_mode | 0o001)
    state = root / "operators.pickle"
    if state.exists():  # stop, or a start over a previous one: never two sets running
        operators: Operators = pickle.loads(state.read_bytes())  # noqa: S301 - our own file
        operators.stop()
        state.unlink()
    _stop_psc(root)
    if args.command == "start":
        _start(root, args.psc_port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
