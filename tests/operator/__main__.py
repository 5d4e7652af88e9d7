"""``python -m tests.operator start|stop [DIR]``: the two test operators for manual use.

``start`` prints the ports and the CA bundle to point the platform at (``make operator``).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from tests.operator.operator import Operators, start_operators


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "stop"}:
        print("usage: python -m tests.operator start|stop [DIR]", file=sys.stderr)
        return 2
    default = Path(__file__).resolve().parents[2] / "var" / "operators"
    root = Path(argv[1]).resolve() if len(argv) > 1 else default
    state = root / "operators.pickle"
    if argv[0] == "stop":
        if state.exists():
            operators: Operators = pickle.loads(state.read_bytes())  # noqa: S301 - our own file
            operators.stop()
        return 0
    operators = start_operators(root)
    state.write_bytes(pickle.dumps(operators))
    for op in operators.ops.values():
        print(
            f"{op.domain}: submission 127.0.0.1:{op.submission_port}, "
            f"IMAP 127.0.0.1:{op.imap_port}, MX 127.0.0.1:{op.mx_port}"
        )
    print(f"CA IGC-Santé de test : {operators.pki.ca_bundle}")
    print(f"CRL : {operators.pki.crl}")
    print(f"Mot de passe de test (BAL PER) : {operators.password}")
    print("BAL ORG : sans mot de passe, ouvertes par le jeton PSC d'un membre (les tests démarrent")
    print("le fournisseur PSC de test et la délégation ; voir tests/operator/delegation.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
