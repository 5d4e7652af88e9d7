"""The edge (nginx, ingress, coturn) and the image agree with the application: WebSockets
upgraded without stickiness, upload limits above the attachment limit, TLS and security
headers, time-limited TURN credentials, a multi-stage non-root image with every package.
The shared readers are in tests/support/deploy_files.py.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from tests.support.deploy_files import (
    COTURN_CONF,
    DEPLOY,
    DOCKERFILE,
    NGINX_SITE,
    ROOT,
    WEB_ENV_EXAMPLE,
    base_objects,
    compose_app_services,
    compose_services,
    configmaps,
    dockerfile_instructions,
    env_example_values,
    parse_size,
    pod_spec,
    workloads,
)

# --- the edge: nginx, ingress, coturn --------------------------------------------------------


def test_nginx_upgrades_websockets_with_long_timeouts_and_no_stickiness() -> None:
    site = NGINX_SITE.read_text(encoding="utf-8")
    ws = re.search(r"location /ws/ \{(.*?)\n    \}", site, re.S)
    assert ws
    block = ws.group(1)
    assert "proxy_set_header Upgrade $http_upgrade;" in block
    assert "proxy_set_header Connection $connection_upgrade;" in block
    read_timeout = re.search(r"proxy_read_timeout (\d+)s;", block)
    assert read_timeout and int(read_timeout.group(1)) >= 300
    upstream_block = re.search(r"upstream daphne \{(.*?)\}", site, re.S)
    assert upstream_block
    upstream = upstream_block.group(1)
    assert "least_conn;" in upstream
    assert not re.search(r"\b(ip_hash|hash|sticky)\b", upstream)
    proxy = (DEPLOY / "nginx" / "snippets" / "proxy.conf").read_text(encoding="utf-8")
    # The app trusts the first X-Forwarded-For entry: nginx must overwrite it, not append.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy
    assert "proxy_add_x_forwarded_for" not in proxy


def test_upload_limits_at_the_edge_exceed_the_attachment_limit() -> None:
    from django.conf import settings

    attachment_limits = {settings.ATTACHMENT_MAX_BYTES}
    attachment_limits.add(int(env_example_values(WEB_ENV_EXAMPLE)["ATTACHMENT_MAX_BYTES"]))
    attachment_limits.update(
        int(cm["data"]["ATTACHMENT_MAX_BYTES"])
        for cm in configmaps()
        if "ATTACHMENT_MAX_BYTES" in cm["data"]
    )
    from backend.body_limit import body_limit

    site = NGINX_SITE.read_text(encoding="utf-8")
    server_wide = re.search(r"\n    client_max_body_size (\w+);", site)
    uploads = re.search(r"location = /api/attachments \{\s*client_max_body_size (\w+);", site)
    assert server_wide and uploads
    # nginx refuses what the application would refuse, with the same figures.
    assert parse_size(server_wide.group(1)) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert parse_size(uploads.group(1)) == body_limit("/api/attachments")
    nginx_limit = parse_size(uploads.group(1))
    ingress = next(i for i in base_objects("Ingress") if i["metadata"]["name"] == "liaison-web")
    annotations = ingress["metadata"]["annotations"]
    ingress_limit = parse_size(annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
    for limit in (nginx_limit, ingress_limit):
        assert limit >= max(attachment_limits) + 1024 * 1024


def test_nginx_serves_tls_only_with_security_headers_and_hides_internal_endpoints() -> None:
    site = NGINX_SITE.read_text(encoding="utf-8")
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site
    assert "return 301 https://" in site
    headers = (DEPLOY / "nginx" / "snippets" / "security-headers.conf").read_text(encoding="utf-8")
    for header in (
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Content-Security-Policy",
    ):
        assert f"add_header {header}" in headers
    from django.conf import settings

    assert settings.CONTENT_SECURITY_POLICY in headers
    for path in ("/metrics", "/readyz"):
        assert re.search(rf"location = {path} \{{\s*(#[^\n]*\n\s*)*return 404;", site), path
    internal = next(i for i in base_objects("Ingress") if i["metadata"]["name"] != "liaison-web")
    exact = {p["path"] for r in internal["spec"]["rules"] for p in r["http"]["paths"]}
    assert exact == {"/metrics", "/readyz"}


def test_ingress_has_no_session_affinity() -> None:
    for ingress in base_objects("Ingress"):
        annotations = ingress["metadata"].get("annotations", {})
        assert not any("affinity" in key or "upstream-hash-by" in key for key in annotations)


def coturn_options() -> list[tuple[str, str]]:
    options = []
    for line in COTURN_CONF.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            options.append((name.strip(), value.strip()))
    return options


def test_coturn_uses_time_limited_credentials_without_committing_the_secret() -> None:
    names = [name for name, _ in coturn_options()]
    assert "use-auth-secret" in names and "realm" in names
    assert "static-auth-secret" not in names and "allow-loopback-peers" not in names
    assert {"cert", "pkey", "tls-listening-port", "no-tlsv1", "no-tlsv1_1"} <= set(names)
    # compose appends the secret from the same file the web processes read as TURN_SECRET_FILE.
    coturn = compose_services()["coturn"]
    assert coturn["secrets"] == ["turn_secret"] and "static-auth-secret" in coturn["command"][0]
    web_environment = compose_app_services()["web-1"]["environment"]
    assert web_environment["TURN_SECRET_FILE"] == "/run/secrets/turn_secret"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.20.0.5",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address coturn must refuse, not a bind
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
    ],
)
def test_coturn_refuses_to_relay_to_loopback_and_private_addresses(address: str) -> None:
    target = ipaddress.ip_address(address)
    for name, value in coturn_options():
        if name != "denied-peer-ip":
            continue
        first, _, last = value.partition("-")
        low, high = ipaddress.ip_address(first), ipaddress.ip_address(last or first)
        if low.version == target.version and low <= target <= high:  # type: ignore[operator]
            return
    raise AssertionError(f"coturn would relay to {address}")


# --- the image -------------------------------------------------------------------------------


def test_image_builds_the_client_and_wheels_in_separate_stages_and_runs_as_non_root() -> None:
    instructions = dockerfile_instructions()
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert len(stages) == 3
    assert "ARG NODE_IMAGE=node:20" in text and "ARG PYTHON_IMAGE=python:3.11-slim" in text
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "npm ci" in runs and "npm run build" in runs and "pip wheel" in runs
    assert "manage.py collectstatic" in runs
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert len(users) == 1
    uid = re.search(r"ARG APP_UID=(\d+)", text)
    assert uid and int(uid.group(1)) >= 1000 and users[0].startswith("${APP_UID}")
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "PLATFORM_ENV=production" in env
    # The uid the manifests run as is the image's user.
    for workload in workloads():
        assert pod_spec(workload)["securityContext"]["runAsUser"] == int(uid.group(1))


def test_image_copies_every_python_package_of_the_project() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    top_level = {p.rstrip("*") for p in patterns}
    copies = [rest.split() for keyword, rest in dockerfile_instructions() if keyword == "COPY"]
    copied = {
        Path(source).as_posix()
        for args in copies
        if not args[0].startswith("--")
        for source in args[:-1]
    }
    assert top_level <= copied
    for source in copied:
        assert (ROOT / source).exists(), source
