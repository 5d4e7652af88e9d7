"""A test certificate chain standing for IGC-Santé: root, intermediate, server and client certs.

Generated with the ``openssl`` command (RSA keys: the ECO.1.1.3 suites are ECDHE-RSA), plus an
empty CRL of the intermediate authority so that clients can check revocation, and one revoked
server certificate to prove they do. Nothing here is secret: the keys are test keys, made afresh
for each operator directory.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Pki", "make_pki"]

_DAYS = "30"


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca_bundle: Path  # root + intermediate: what a client trusts
    crl: Path  # the intermediate's CRL (PEM)
    root: Path
    intermediate: Path

    def cert(self, name: str) -> tuple[Path, Path]:
        """``(certificate chain, key)`` of a leaf made by ``make_pki``."""
        return self.directory / f"{name}.crt", self.directory / f"{name}.key"


def _run(*args: str, cwd: Path, san: str = "DNS:unused") -> None:
    # The config names $ENV::SAN; it must be defined for every command that reads it.
    env = {**os.environ, "SAN": san}
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, env=env)


def _ca_config(directory: Path) -> Path:
    config = directory / "ca.cnf"
    config.write_text(
        "[ ca ]\ndefault_ca = igc\n"
        "[ igc ]\n"
        f"dir = {directory}\ndatabase = $dir/index.txt\ncrlnumber = $dir/crlnumber\n"
        "default_md = sha256\ndefault_crl_days = 30\n"
        "[ req ]\ndistinguished_name = dn\n[ dn ]\n"
        "[ v3_ca ]\nbasicConstraints = critical,CA:true\nkeyUsage = critical,keyCertSign,cRLSign\n"
        "subjectKeyIdentifier = hash\n"
        "[ v3_server ]\nbasicConstraints = critical,CA:false\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = serverAuth\n"
        "subjectAltName = $ENV::SAN\n"
        "[ v3_client ]\nbasicConstraints = critical,CA:false\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = clientAuth\n"
    )
    (directory / "index.txt").write_text("")
    (directory / "crlnumber").write_text("01\n")
    return config


def _leaf(
    directory: Path, config: Path, name: str, subject: str, extension: str, san: str = ""
) -> None:
    _run("genrsa", "-out", f"{name}.key", "2048", cwd=directory)
    _run("req", "-new", "-key", f"{name}.key", "-subj", subject, "-out", f"{name}.csr",
         "-config", str(config), cwd=directory)  # fmt: skip
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", "intermediate.crt",
         "-CAkey", "intermediate.key", "-CAcreateserial", "-days", _DAYS, "-sha256",
         "-extfile", str(config), "-extensions", extension, "-out", f"{name}.leaf",
         cwd=directory, san=san or "DNS:unused")  # fmt: skip
    leaf = (directory / f"{name}.leaf").read_text()
    (directory / f"{name}.crt").write_text(leaf + (directory / "intermediate.crt").read_text())
    # The CA database lists every issued certificate (so one can be revoked); the index only
    # needs a well-formed expiry date.
    serial = subprocess.run(
        ["openssl", "x509", "-in", f"{name}.leaf", "-noout", "-serial"],
        cwd=directory, check=True, capture_output=True, text=True,
    ).stdout.strip().split("=")[1]  # fmt: skip
    with (directory / "index.txt").open("a") as index:
        index.write(f"V\t491231235959Z\t\t{serial}\tunknown\t{subject}\n")


def make_pki(directory: Path, servers: dict[str, str], clients: dict[str, str]) -> Pki:
    """Root and intermediate CA, ``servers`` (name -> SAN) and ``clients`` (name -> CN) leaves,
    a revoked server leaf ``revoked`` and the CRL that lists it."""
    directory.mkdir(parents=True, exist_ok=True)
    config = _ca_config(directory)
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out",
         "root.crt", "-days", _DAYS, "-subj", "/C=FR/O=TEST IGC-SANTE/CN=TEST IGC-SANTE RACINE",
         "-config", str(config), "-extensions", "v3_ca", cwd=directory)  # fmt: skip
    _run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "intermediate.key", "-out",
         "intermediate.csr", "-subj", "/C=FR/O=TEST IGC-SANTE/CN=TEST IGC-SANTE ELEMENTAIRE",
         "-config", str(config), cwd=directory)  # fmt: skip
    _run("x509", "-req", "-in", "intermediate.csr", "-CA", "root.crt", "-CAkey", "root.key",
         "-CAcreateserial", "-days", _DAYS, "-sha256", "-extfile", str(config),
         "-extensions", "v3_ca", "-out", "intermediate.crt", cwd=directory)  # fmt: skip
    for name, san in {**servers, "revoked": "DNS:localhost,IP:127.0.0.1"}.items():
        _leaf(directory, config, name, f"/C=FR/O=TEST OPERATEUR/CN={name}", "v3_server", san)
    for name, common_name in clients.items():
        _leaf(directory, config, name, f"/C=FR/O=TEST ETABLISSEMENT/CN={common_name}", "v3_client")
    _run("ca", "-config", str(config), "-revoke", "revoked.leaf", "-keyfile", "intermediate.key",
         "-cert", "intermediate.crt", cwd=directory)  # fmt: skip
    _run("ca", "-config", str(config), "-gencrl", "-keyfile", "intermediate.key", "-cert",
         "intermediate.crt", "-out", "intermediate.crl", cwd=directory)  # fmt: skip
    bundle = directory / "ca-bundle.pem"
    bundle.write_text(
        (directory / "intermediate.crt").read_text() + (directory / "root.crt").read_text()
    )
    for key in directory.glob("*.key"):
        key.chmod(0o640)
    return Pki(
        directory=directory,
        ca_bundle=bundle,
        crl=directory / "intermediate.crl",
        root=directory / "root.crt",
        intermediate=directory / "intermediate.crt",
    )
