"""The deployment files (deploy/) as the deploy tests read them, and what the application
really is (the variables its settings read, its entry points): shared by the
tests/integration/test_deploy_*.py files.
"""

from __future__ import annotations

import re
import shlex
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import click
import yaml
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if p.is_dir())
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
NGINX_SITE = DEPLOY / "nginx" / "templates" / "liaison.conf.template"
COTURN_CONF = DEPLOY / "coturn" / "turnserver.conf"
README = DEPLOY / "README.md"
SETTINGS_DIR = ROOT / "backend" / "settings"  # a package: every part is read

APP_IMAGE = "liaison-sante"  # the image name in the base manifests and in compose
DAPHNE_PORT = 8000
# Variables that carry secrets: never as plain values in a committed file, always *_FILE.
SECRET_VARIABLES = {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TURN_SECRET"}
# Where app pods may connect to: DNS, PostgreSQL, Redis (plain and TLS), the SMTP relay.
ALLOWED_EGRESS_PORTS = {53, 5432, 6379, 6380, 587}
SMTP_PORT = 587
TMP = "/tmp"  # noqa: S108 - the writable emptyDir/tmpfs of the containers, not a temp file
WEB_ENV_EXAMPLE = DEPLOY / "env" / "web.env.example"
WORKER_ENV_EXAMPLE = DEPLOY / "env" / "worker.env.example"


# --- loading ---------------------------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def load_documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def load_documents_from_text(text: str) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def k8s_objects() -> list[tuple[Path, dict[str, Any]]]:
    """Every Kubernetes object under deploy/k8s (kustomization files are not objects)."""
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in yaml_files():
        if K8S not in path.parents or path.name == "kustomization.yaml":
            continue
        found.extend((path, doc) for doc in load_documents(path))
    return found


def base_objects(kind: str) -> list[dict[str, Any]]:
    """The objects of one kind that the base kustomization actually deploys."""
    kustomization = load_documents(BASE / "kustomization.yaml")[0]
    objects: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        objects.extend(d for d in load_documents(BASE / resource) if d["kind"] == kind)
    return objects


def workloads() -> list[dict[str, Any]]:
    return base_objects("Deployment") + base_objects("Job")


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def k8s_argv(container: dict[str, Any]) -> list[str]:
    # No `command`: the image's ENTRYPOINT (tini) runs `args`.
    return [str(a) for a in container.get("command", [])] + [str(a) for a in container["args"]]


def component(workload: dict[str, Any]) -> str:
    return pod_labels(workload)["app.kubernetes.io/component"]


def workload_named(name: str) -> dict[str, Any]:
    return next(w for w in workloads() if w["metadata"]["name"] == name)


def container_named(name: str) -> dict[str, Any]:
    for workload in workloads():
        for container in all_containers(pod_spec(workload)):
            if container["name"] == name:
                return container
    raise AssertionError(f"no container {name}")


@cache
def compose() -> dict[str, Any]:
    document: dict[str, Any] = load_documents(COMPOSE_FILE)[0]
    return document


def compose_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose()["services"]
    return services


def compose_app_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose_services().items()
        if str(service.get("image", "")).split(":")[0].endswith(APP_IMAGE)
        or "${LIAISON_IMAGE" in str(service.get("image", ""))
    }


def compose_argv(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def is_job(service: dict[str, Any]) -> bool:
    return service.get("restart") == "no"


def env_example_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def compose_env_files(service: dict[str, Any]) -> list[Path]:
    """The committed example of each env_file (deploy/env/web.env -> web.env.example)."""
    env_files = service.get("env_file", [])
    if isinstance(env_files, str):
        env_files = [env_files]
    return [(DEPLOY / f"{name}.example").resolve() for name in env_files]


def configmaps() -> list[dict[str, Any]]:
    return [doc for _, doc in k8s_objects() if doc["kind"] == "ConfigMap"]


def parse_size(value: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", value.strip())
    assert match, value
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(match.group(1)) * factor


def parse_duration(value: str) -> int:
    seconds = 0
    for amount, unit in re.findall(r"(\d+)([hms])", value):
        seconds += int(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
    return seconds


# --- what the application really is --------------------------------------------------------


@cache
def settings_variables() -> dict[str, str]:
    """NAME -> how the settings read it: "env" (NAME or NAME_FILE) or "os" (NAME only)."""
    source = "\n".join(
        part.read_text(encoding="utf-8") for part in sorted(SETTINGS_DIR.glob("*.py"))
    )
    found = {
        name: "env"
        for name in re.findall(r"\benv(?:_bool|_int|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source)
    }
    for name in re.findall(r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", source):
        found.setdefault(name, "os")
    return found


def accepted_variable_names() -> set[str]:
    names = set()
    for name, reader in settings_variables().items():
        names.add(name)
        if reader == "env":
            names.add(f"{name}_FILE")
    return names


def check_app_command(argv: list[str]) -> dict[str, Any]:
    """Fails unless argv is one of the app's entry points with options its parser accepts."""
    if argv and argv[0] in {"tini", "/usr/bin/tini"}:
        argv = argv[argv.index("--") + 1 :]
    program = argv[0]
    if program == "daphne":
        from daphne.cli import CommandLineInterface

        args = CommandLineInterface().parser.parse_args(argv[1:])
        module_name, _, attribute = args.application.partition(":")
        assert args.application == "backend.asgi:application"
        assert callable(getattr(import_module(module_name), attribute))
        assert args.host == "0.0.0.0" and args.proxy_headers, "daphne behind a proxy"  # noqa: S104
        return {"program": "daphne", "port": args.port}
    if program == "celery":
        from celery.app.utils import find_app
        from celery.bin.base import CLIContext
        from celery.bin.celery import celery as celery_cli

        from backend.celery import app

        assert argv[1:3] == ["-A", "backend"], argv
        assert find_app("backend") is app
        subcommand, rest = argv[3], argv[4:]
        assert subcommand in {"worker", "beat", "inspect"}, subcommand
        parent = click.Context(
            celery_cli, info_name="celery", obj=CLIContext(app, True, None, quiet=True)
        )
        sub = celery_cli.commands[subcommand].make_context(subcommand, list(rest), parent=parent)
        return {"program": "celery", "subcommand": subcommand, "params": sub.params}
    if argv[:2] == ["python", "manage.py"]:
        assert (ROOT / "manage.py").is_file()
        name = argv[2]
        commands = get_commands()
        assert name in commands, f"manage.py has no {name} command"
        parser = load_command_class(commands[name], name).create_parser("manage.py", name)
        return {"program": "manage.py", "command": name, "options": parser.parse_args(argv[3:])}
    raise AssertionError(f"not an entry point of the app: {argv}")


def healthcheck_url(script: str) -> tuple[int, str]:
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[a-z]+)", script)
    assert match, script
    return int(match.group(1)), match.group(2)


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions
