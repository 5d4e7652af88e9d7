"""Derives the stack that `make deploy-test` runs from the real deploy/ files.

The test stack is deploy/compose.yaml, nginx/, coturn/ and env/*.example with only these
changes, all forced by where it runs (a sandbox whose only allowed addresses are on loopback,
Debian's docker-compose 1.29 and Debian's nginx 1.22 standing in for nginx:1.28):

- every service gets `network_mode: host` (no Docker network, no published port, no bridge), so
  `networks`, `ports` and `expose` go; each service binds 127.0.0.1 on its own port (PORTS);
- the two daphne, PostgreSQL, Redis, nginx and coturn commands and health checks name those
  addresses and ports instead of the container ones;
- nginx: the upstream lists 127.0.0.1 ports instead of the compose DNS names (`resolve` and
  `resolver` need Docker's DNS and nginx >= 1.27.3), and `http2 on;` (nginx >= 1.25.1) becomes
  the `http2` flag of `listen`;
- coturn listens and relays on 127.0.0.1 and, for the allocation test only, accepts loopback
  peers (the production file refuses them: SSRF guard);
- the settings are the examples with the test host (localhost:<nginx port>), the loopback
  TURN URLs, PSC_REQUIRED_FOR_RPPS=false (no OpenID provider in the stack: clinicians sign in
  with password + TOTP) and a METRICS_TOKEN (the smoke test reads each daphne's socket gauge);
  the secrets are generated per run.

Everything else (images, users, read-only root, tmpfs, capabilities, secrets as files, volumes,
depends_on order, commands) is the production file as it is.

    python deploy/test/hoststack.py OUT_DIR   # writes OUT_DIR/{compose.yaml,nginx/,coturn/,env/}
"""

from __future__ import annotations

import copy
import re
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PORTS = {
    "web-1": 18001,
    "web-2": 18002,
    "postgres": 15432,
    "redis": 16379,
    "nginx-http": 18080,
    "nginx-https": 18443,
    "turn": 13478,
    "turns": 15349,
}
TURN_RELAY = (49160, 49999)
PUBLIC = f"localhost:{PORTS['nginx-https']}"


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _replace_in(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace_in(item, old, new) for item in value]
    return value


def compose(source: dict[str, Any]) -> dict[str, Any]:
    # YAML anchors share objects between services (web-1 and web-2 have one `command` list):
    # each service gets its own copy before anything is changed.
    services: dict[str, dict[str, Any]] = {
        name: copy.deepcopy(service) for name, service in source["services"].items()
    }
    source["services"] = services
    for service in services.values():
        for key in ("networks", "ports", "expose"):
            service.pop(key, None)
        service["network_mode"] = "host"

    for name in ("web-1", "web-2"):
        web = services[name]
        port = str(PORTS[name])
        argv = web["command"]
        argv[argv.index("-b") + 1] = HOST
        argv[argv.index("-p") + 1] = port
        web["healthcheck"]["test"] = _replace_in(web["healthcheck"]["test"], ":8000/", f":{port}/")

    postgres = services["postgres"]
    postgres["command"] = [
        "postgres",
        "-c",
        f"listen_addresses={HOST}",
        "-p",
        str(PORTS["postgres"]),
    ]
    postgres["healthcheck"]["test"] = _replace_in(
        postgres["healthcheck"]["test"],
        "pg_isready ",
        f"pg_isready -h {HOST} -p {PORTS['postgres']} ",
    )

    redis = services["redis"]
    redis["command"][-1] += f" --bind {HOST} --port {PORTS['redis']}"
    redis["healthcheck"]["test"] = _replace_in(
        redis["healthcheck"]["test"],
        "redis-cli ping",
        f"redis-cli -h {HOST} -p {PORTS['redis']} ping",
    )

    nginx = services["nginx"]
    nginx["healthcheck"]["test"] = _replace_in(
        nginx["healthcheck"]["test"], "http://127.0.0.1/", f"http://{HOST}:{PORTS['nginx-http']}/"
    )
    coturn = services["coturn"]
    coturn["healthcheck"]["test"] = _replace_in(
        coturn["healthcheck"]["test"], "3478", str(PORTS["turn"])
    )
    source.pop("networks", None)
    for key in [k for k in source if k.startswith("x-")]:  # anchors only, already merged
        del source[key]
    source.pop("name", None)  # docker-compose 1.29 does not know it: the caller passes -p
    return source


def nginx_site(template: str) -> str:
    upstreams = "".join(
        f"    server {HOST}:{PORTS[name]} max_fails=3 fail_timeout=10s;\n"
        for name in ("web-1", "web-2")
    )
    site, count = re.subn(r"(    server web-\d:8000[^\n]*\n)+", upstreams, template)
    assert count == 1, "the upstream block of the template changed: update hoststack.py"
    site = re.sub(r"\n\s*listen \[::\]:\d+[^\n]*;", "", site)
    site = site.replace(
        "listen 80 default_server;", f"listen {HOST}:{PORTS['nginx-http']} default_server;"
    )
    site = site.replace(
        "listen 443 ssl default_server;",
        f"listen {HOST}:{PORTS['nginx-https']} ssl http2 default_server;",
    )
    site = site.replace("listen 443 ssl;", f"listen {HOST}:{PORTS['nginx-https']} ssl http2;")
    site = site.replace("    http2 on;\n", "")
    assert "443" not in site.replace(str(PORTS["nginx-https"]), ""), "a listen was not rewritten"
    return site


def nginx_main(conf: str) -> str:
    main, count = re.subn(r"\n\s*resolver 127\.0\.0\.11[^\n]*;", "", conf)
    assert count == 1, "nginx.conf's resolver line changed: update hoststack.py"
    return main


def turnserver(conf: str) -> str:
    conf = conf.replace("listening-port=3478", f"listening-port={PORTS['turn']}")
    conf = conf.replace("tls-listening-port=5349", f"tls-listening-port={PORTS['turns']}")
    conf = conf.replace("realm=messagerie.example.fr", "realm=localhost")
    conf = conf.replace("server-name=turn.example.fr", "server-name=localhost")
    conf = "\n".join(
        line
        for line in conf.splitlines()
        if line not in {"denied-peer-ip=127.0.0.0-127.255.255.255", "denied-peer-ip=::1"}
    )
    return conf + (
        f"\n# --- deploy-test only: loopback addresses (hoststack.py) ---\n"
        f"listening-ip={HOST}\nrelay-ip={HOST}\nallow-loopback-peers\n"
    )


def web_env(example: str, metrics_token: str) -> str:
    values = {
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{PUBLIC}",
        "MSSANTE_SMTP_HELO_NAME": "localhost",
        "STUN_URLS": f"stun:{HOST}:{PORTS['turn']}",
        "TURN_URLS": ",".join(
            f"turn:{HOST}:{PORTS['turn']}?transport={transport}" for transport in ("udp", "tcp")
        ),
    }
    lines = []
    for line in example.splitlines():
        name = line.split("=", 1)[0]
        if name in values and "=" in line:
            line = f"{name}={values.pop(name)}"
        lines.append(line)
    # No OpenID provider in this stack: the clinicians sign in with password + TOTP, which
    # production keeps for accounts without an RPPS (PSC itself is tested under tests/psc/).
    lines += ["", "# deploy-test only (hoststack.py)", "PSC_REQUIRED_FOR_RPPS=false"]
    # /metrics is closed in production without a token: the smoke test reads the socket gauge.
    lines += [f"METRICS_TOKEN={metrics_token}"]
    return "\n".join(lines) + "\n"


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    source = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    (out / "compose.yaml").write_text(
        "# Generated by deploy/test/hoststack.py from deploy/compose.yaml: do not edit.\n"
        + yaml.dump(compose(source), Dumper=_NoAliases, sort_keys=False, allow_unicode=True)
    )
    nginx = out / "nginx"
    shutil.rmtree(nginx, ignore_errors=True)
    shutil.copytree(DEPLOY / "nginx", nginx)
    template = nginx / "templates" / "liaison.conf.template"
    template.write_text(nginx_site(template.read_text()))
    (nginx / "nginx.conf").write_text(nginx_main((nginx / "nginx.conf").read_text()))
    (out / "coturn").mkdir(exist_ok=True)
    (out / "coturn" / "turnserver.conf").write_text(
        turnserver((DEPLOY / "coturn" / "turnserver.conf").read_text())
    )
    (out / "env").mkdir(exist_ok=True)
    token = secrets.token_hex(32)
    (out / "metrics_token").write_text(token)
    (out / "env" / "web.env").write_text(
        web_env((DEPLOY / "env" / "web.env.example").read_text(), token)
    )
    shutil.copy(DEPLOY / "env" / "worker.env.example", out / "env" / "worker.env")
    (out / ".env").write_text("PUBLIC_HOST=localhost\n")
    (out / "backups").mkdir(exist_ok=True)


if __name__ == "__main__":
    write(Path(sys.argv[1]))
