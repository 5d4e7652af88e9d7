"""The stack `make deploy-test` runs is deploy/compose.yaml with networking changes only
(deploy/test/hoststack.py): these checks keep it that way, without a Docker engine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.test import hoststack

DEPLOY = Path(hoststack.__file__).resolve().parent.parent
UPSTREAM = {
    "LIAISON_IMAGE": "liaison-sante:latest",
    "NGINX_IMAGE": "nginx:1.28-alpine",
    "COTURN_IMAGE": "coturn/coturn:4.6",
    "POSTGRES_IMAGE": "postgres:17",
    "REDIS_IMAGE": "redis:7.4-alpine",
}
NETWORKING = {"networks", "ports", "expose", "network_mode", "command", "healthcheck"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stack")
    hoststack.write(out)
    return out


def production() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def generated(stack: Path) -> dict[str, Any]:
    return yaml.safe_load((stack / "compose.yaml").read_text())


def test_every_image_comes_from_a_variable_whose_default_is_the_upstream_image() -> None:
    variables = set()
    for name, service in production()["services"].items():
        found = re.fullmatch(r"\$\{([A-Z_]+):-([^}]+)\}", service["image"])
        assert found, (name, service["image"])
        assert UPSTREAM[found.group(1)] == found.group(2), (name, service["image"])
        variables.add(found.group(1))
    assert variables == set(UPSTREAM)


def test_every_service_is_on_the_host_network_with_no_published_port(stack: Path) -> None:
    compose = generated(stack)
    assert "networks" not in compose
    for name, service in compose["services"].items():
        assert service["network_mode"] == "host", name
        assert not {"networks", "ports", "expose"} & set(service), name


def test_only_networking_differs_from_the_production_file(stack: Path) -> None:
    source, test = production()["services"], generated(stack)["services"]
    assert set(source) == set(test)
    for name, service in source.items():
        kept = {k: v for k, v in service.items() if k not in NETWORKING}
        assert kept == {k: v for k, v in test[name].items() if k not in NETWORKING}, name
        if "command" in service and name not in {"web-1", "web-2", "postgres", "redis"}:
            assert service["command"] == test[name]["command"], name


def test_servers_bind_loopback_on_distinct_ports(stack: Path) -> None:
    services = generated(stack)["services"]
    for name in ("web-1", "web-2"):
        argv = services[name]["command"]
        assert argv[argv.index("-b") + 1] == "127.0.0.1"
        assert argv[argv.index("-p") + 1] == str(hoststack.PORTS[name])
        assert f"127.0.0.1:{hoststack.PORTS[name]}/healthz" in " ".join(
            services[name]["healthcheck"]["test"]
        )
    assert "listen_addresses=127.0.0.1" in services["postgres"]["command"]
    assert "--bind 127.0.0.1" in services["redis"]["command"][-1]
    site = (stack / "nginx" / "templates" / "liaison.conf.template").read_text()
    listens = re.findall(r"^\s*listen ([^;]+);", site, re.M)
    assert listens and all(listen.startswith("127.0.0.1:") for listen in listens), listens
    upstreams = re.findall(r"^\s*server (\S+) ", site, re.M)
    assert upstreams == [f"127.0.0.1:{hoststack.PORTS[n]}" for n in ("web-1", "web-2")]
    turn = (stack / "coturn" / "turnserver.conf").read_text()
    assert "listening-ip=127.0.0.1" in turn and "relay-ip=127.0.0.1" in turn
    assert len(set(hoststack.PORTS.values())) == len(hoststack.PORTS)


def test_the_production_coturn_file_still_refuses_loopback_peers() -> None:
    production_turn = (DEPLOY / "coturn" / "turnserver.conf").read_text()
    assert "denied-peer-ip=127.0.0.0-127.255.255.255" in production_turn
    assert "allow-loopback-peers" not in [line.strip() for line in production_turn.splitlines()]
