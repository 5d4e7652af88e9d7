"""The deployment files (deploy/) agree with the application they deploy.

No network and no Docker: every YAML file is parsed, and what the manifests say about the app
(commands, probe paths, ports, environment variables) is checked against the code itself: the
daphne and Celery command lines are parsed by daphne's and Celery's own parsers, the ASGI
application and the Celery app are imported, probe paths are resolved by Django's URL resolver,
environment variables are compared with what backend/settings/ reads, and the settings
reference in deploy/README.md must list every one of them.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from django.core.management import get_commands, load_command_class
from django.http.request import validate_host
from django.urls import resolve

from backend import health

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


# --- every file parses, every object is well formed --------------------------------------


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_under_deploy_parses(path: Path) -> None:
    assert load_documents(path), f"{path} is empty"


def test_deploy_has_the_compose_file_the_kustomize_base_and_two_overlays() -> None:
    assert COMPOSE_FILE.is_file() and (BASE / "kustomization.yaml").is_file()
    assert [p.name for p in OVERLAYS] == ["production", "staging"]


@pytest.mark.parametrize(
    ("path", "obj"),
    k8s_objects(),
    ids=[f"{p.relative_to(K8S)}:{o['kind']}/{o['metadata']['name']}" for p, o in k8s_objects()],
)
def test_every_kubernetes_object_has_api_version_kind_and_name(
    path: Path, obj: dict[str, Any]
) -> None:
    assert obj.get("apiVersion"), path
    assert obj.get("kind"), path
    assert obj.get("metadata", {}).get("name"), path


def test_kustomizations_refer_only_to_files_that_exist() -> None:
    for kustomization_file in [BASE / "kustomization.yaml"] + [
        o / "kustomization.yaml" for o in OVERLAYS
    ]:
        kustomization = load_documents(kustomization_file)[0]
        assert kustomization["kind"] == "Kustomization"
        folder = kustomization_file.parent
        for resource in kustomization["resources"]:
            assert (folder / resource).exists(), f"{kustomization_file}: {resource}"
        for patch in kustomization.get("patches", []):
            if "path" in patch:
                assert (folder / patch["path"]).is_file(), f"{kustomization_file}: {patch}"
            else:
                assert load_documents_from_text(patch["patch"]), patch


def test_the_example_secret_is_not_deployed_by_the_base() -> None:
    kustomization = load_documents(BASE / "kustomization.yaml")[0]
    assert "secret.example.yaml" not in kustomization["resources"]
    assert not base_objects("Secret")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_overlays_render_with_kustomize_into_namespaced_objects_with_a_registry_image(
    overlay: Path,
) -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    objects = load_documents_from_text(rendered.stdout)
    namespace = load_documents(overlay / "kustomization.yaml")[0]["namespace"]
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == namespace
        template = obj.get("spec", {}).get("template", {}).get("spec")
        for container in all_containers(template) if template else []:
            assert container["image"].startswith("registry.") and ":" in container["image"]
    assert {o["kind"] for o in objects} >= {
        "Deployment",
        "Job",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ConfigMap",
    }


# --- containers run the app's real entry points ----------------------------------------------


def test_base_runs_web_worker_beat_and_the_migration_job_from_one_image() -> None:
    assert {component(w) for w in workloads()} == {"web", "worker", "beat", "migrate"}
    images = {c["image"] for w in workloads() for c in all_containers(pod_spec(w))}
    assert images == {APP_IMAGE}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("web", {"program": "daphne"}),
        ("wait-for-migrations", {"program": "manage.py", "command": "migrate"}),
        ("worker", {"program": "celery", "subcommand": "worker"}),
        ("beat", {"program": "celery", "subcommand": "beat"}),
        ("migrate", {"program": "manage.py", "command": "migrate"}),
    ],
)
def test_kubernetes_containers_run_the_apps_entry_points(
    name: str, expected: dict[str, str]
) -> None:
    parsed = check_app_command(k8s_argv(container_named(name)))
    assert {k: parsed[k] for k in expected} == expected


def test_migration_job_applies_and_web_init_container_only_checks() -> None:
    job = check_app_command(k8s_argv(container_named("migrate")))["options"]
    assert job.interactive is False and job.check_unapplied is False
    init = check_app_command(k8s_argv(container_named("wait-for-migrations")))["options"]
    assert init.check_unapplied is True


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("web-1", {"program": "daphne"}),
        ("web-2", {"program": "daphne"}),
        ("worker", {"program": "celery", "subcommand": "worker"}),
        ("beat", {"program": "celery", "subcommand": "beat"}),
        ("migrate", {"program": "manage.py", "command": "migrate"}),
        ("static", {"program": "manage.py", "command": "collectstatic"}),
    ],
)
def test_compose_services_run_the_apps_entry_points(service: str, expected: dict[str, str]) -> None:
    parsed = check_app_command(compose_argv(compose_services()[service]))
    assert {k: parsed[k] for k in expected} == expected


def test_compose_and_kubernetes_run_the_same_commands() -> None:
    services = compose_services()
    for name, service in [("web", "web-1"), ("worker", "worker"), ("beat", "beat")]:
        assert k8s_argv(container_named(name)) == compose_argv(services[service])
    assert k8s_argv(container_named("migrate")) == compose_argv(services["migrate"])


def test_no_app_container_in_compose_or_kubernetes_runs_anything_but_an_entry_point() -> None:
    for service in compose_app_services().values():
        check_app_command(compose_argv(service))
    for workload in workloads():
        for container in all_containers(pod_spec(workload)):
            check_app_command(k8s_argv(container))


def test_the_image_default_command_is_the_web_server_under_tini() -> None:
    instructions = dict(dockerfile_instructions())
    entrypoint = json.loads(instructions["ENTRYPOINT"])
    cmd = json.loads(instructions["CMD"])
    assert check_app_command(entrypoint + cmd)["program"] == "daphne"
    assert cmd == compose_argv(compose_services()["web-1"])


def test_beat_runs_once_and_keeps_its_schedule_in_tmp() -> None:
    beat = workload_named("liaison-beat")
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    assert "deploy" not in compose_services()["beat"]
    params = check_app_command(k8s_argv(container_named("beat")))["params"]
    assert params["schedule"].startswith(f"{TMP}/")
    assert params["pidfile"].startswith(f"{TMP}/")


# --- probes and health checks hit URLs the app serves ----------------------------------------


def test_probe_paths_resolve_to_the_health_views() -> None:
    assert resolve("/healthz").func is health.healthz
    assert resolve("/readyz").func is health.readyz


def test_web_probes_use_healthz_for_liveness_and_readyz_for_readiness_on_the_daphne_port() -> None:
    web = container_named("web")
    ports = {p["name"]: p["containerPort"] for p in web["ports"]}
    daphne_port = check_app_command(k8s_argv(web))["port"]
    assert daphne_port == DAPHNE_PORT and DAPHNE_PORT in ports.values()
    expected = {"livenessProbe": health.healthz, "readinessProbe": health.readyz}
    expected["startupProbe"] = health.healthz
    for probe_name, view in expected.items():
        http_get = web[probe_name]["httpGet"]
        assert resolve(http_get["path"]).func is view, probe_name
        port = http_get["port"]
        assert ports.get(port, port) == daphne_port, probe_name


def test_probe_host_header_is_an_allowed_host_everywhere() -> None:
    hosts = {
        h["value"]
        for probe in ("livenessProbe", "readinessProbe", "startupProbe")
        for h in container_named("web")[probe]["httpGet"].get("httpHeaders", [])
        if h["name"] == "Host"
    }
    assert hosts == {"localhost"}
    allowed_lists = [cm["data"]["DJANGO_ALLOWED_HOSTS"] for cm in configmaps()]
    allowed_lists.append(env_example_values(WEB_ENV_EXAMPLE)["DJANGO_ALLOWED_HOSTS"])
    for allowed in allowed_lists:
        assert validate_host("localhost", allowed.split(",")), allowed


def test_container_health_checks_hit_healthz_on_the_daphne_port() -> None:
    instructions = dockerfile_instructions()
    healthcheck = next(rest for keyword, rest in instructions if keyword == "HEALTHCHECK")
    scripts = [healthcheck]
    for name in ("web-1", "web-2"):
        scripts.append(" ".join(compose_services()[name]["healthcheck"]["test"]))
    for script in scripts:
        port, path = healthcheck_url(script)
        assert port == DAPHNE_PORT and resolve(path).func is health.healthz
        assert "'Host': 'localhost'" in script


def test_worker_and_beat_health_checks_match_their_processes() -> None:
    services = compose_services()
    worker_check = services["worker"]["healthcheck"]["test"]
    assert worker_check[0] == "CMD-SHELL"
    ping = shlex.split(worker_check[1].split(">")[0].replace("$$HOSTNAME", "host"))
    assert check_app_command(ping)["params"]["command"] == "ping"
    beat_pidfile = check_app_command(compose_argv(services["beat"]))["params"]["pidfile"]
    assert beat_pidfile in " ".join(services["beat"]["healthcheck"]["test"])


def test_every_compose_service_has_an_image_and_a_healthcheck_that_only_jobs_disable() -> None:
    for name, service in compose_services().items():
        assert service.get("image"), name
        assert "healthcheck" in service, name
        if is_job(service):
            assert service["healthcheck"] == {"disable": True}, name
            assert name in {"migrate", "static"}, name
        else:
            assert service["healthcheck"]["test"], name
            assert service.get("restart") == "unless-stopped", name
    for name in ("web-1", "web-2", "worker", "beat", "migrate", "static"):
        assert "command" in compose_services()[name], name


def test_compose_app_services_share_one_image_built_from_deploy_dockerfile() -> None:
    app_services = compose_app_services()
    assert set(app_services) == {"web-1", "web-2", "worker", "beat", "migrate", "static"}
    assert len({s["image"] for s in app_services.values()}) == 1
    for service in app_services.values():
        build = service["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_compose_starts_web_after_migrations_and_its_data_services() -> None:
    services = compose_services()
    for name in ("web-1", "web-2"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    assert services["nginx"]["depends_on"]["static"]["condition"] == (
        "service_completed_successfully"
    )


# --- ports agree --------------------------------------------------------------------------


def test_service_ingress_container_and_network_policy_ports_agree() -> None:
    service = next(s for s in base_objects("Service") if s["metadata"]["name"] == "liaison-web")
    web = workload_named("liaison-web")
    assert service["spec"]["selector"].items() <= pod_labels(web).items()
    assert service["spec"].get("sessionAffinity", "None") == "None"
    container_ports = {p["name"]: p["containerPort"] for p in container_named("web")["ports"]}
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    for port in service_ports.values():
        assert container_ports[port["targetPort"]] == DAPHNE_PORT
    for ingress in base_objects("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] == "liaison-web"
                assert backend["port"]["name"] in service_ports
    policy = next(
        p for p in base_objects("NetworkPolicy") if p["metadata"]["name"] == "liaison-web-ingress"
    )
    assert {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]} == {DAPHNE_PORT}


def test_compose_web_replicas_listen_where_nginx_sends_traffic() -> None:
    site = NGINX_SITE.read_text(encoding="utf-8")
    upstream = re.search(r"upstream daphne \{(.*?)\}", site, re.S)
    assert upstream
    servers = re.findall(r"^\s*server ([\w.-]+):(\d+)", upstream.group(1), re.M)
    daphne_services = {
        name
        for name, service in compose_app_services().items()
        if check_app_command(compose_argv(service))["program"] == "daphne"
    }
    assert {name for name, _ in servers} == daphne_services == {"web-1", "web-2"}
    services = compose_services()
    ports = {check_app_command(compose_argv(services[n]))["port"] for n in daphne_services}
    assert {int(port) for _, port in servers} == ports == {DAPHNE_PORT}


# --- environment variables are the ones the settings read -----------------------------------


def test_settings_parser_finds_the_variables_settings_reads() -> None:
    variables = settings_variables()
    assert variables["DATABASE_URL"] == "env" and variables["PLATFORM_VAR_DIR"] == "os"
    assert {"DJANGO_SECRET_KEY", "REDIS_URL", "TURN_URLS", "WS_RATE_BURST"} <= set(variables)


def deploy_variable_names() -> Iterator[tuple[str, str]]:
    """(where, NAME) for every variable set for the app in compose, Kubernetes and env examples."""
    for name, service in compose_app_services().items():
        for variable in service.get("environment", {}):
            yield f"compose {name}", variable
        for example in compose_env_files(service):
            assert example.is_file(), f"{name}: missing {example}"
    for example in sorted((DEPLOY / "env").glob("*.example")):
        for variable in env_example_values(example):
            yield str(example.relative_to(DEPLOY)), variable
    for configmap in configmaps():
        for variable in configmap["data"]:
            yield f"ConfigMap {configmap['metadata']['name']}", variable
    for workload in workloads():
        for container in all_containers(pod_spec(workload)):
            for variable in container.get("env", []):
                yield f"container {container['name']}", variable["name"]


def test_every_variable_set_in_deploy_files_is_read_by_settings() -> None:
    accepted = accepted_variable_names()
    unknown = sorted(
        {f"{where}: {name}" for where, name in deploy_variable_names() if name not in accepted}
    )
    assert not unknown, f"set but never read by backend/settings/: {unknown}"


def test_secrets_are_passed_as_files_never_as_values() -> None:
    names = {name for _, name in deploy_variable_names()}
    assert not names & SECRET_VARIABLES
    assert {f"{n}_FILE" for n in SECRET_VARIABLES} <= names
    declared = set(compose()["secrets"])
    for service in compose_app_services().values():
        for variable, value in service.get("environment", {}).items():
            if variable.endswith("_FILE"):
                assert value.startswith("/run/secrets/")
                assert value.removeprefix("/run/secrets/") in declared
                assert value.removeprefix("/run/secrets/") in service["secrets"]
    for workload in workloads():
        mounts = {
            m["mountPath"]
            for c in all_containers(pod_spec(workload))
            for m in c.get("volumeMounts", [])
        }
        for container in all_containers(pod_spec(workload)):
            for variable in container.get("env", []):
                if variable["name"].endswith("_FILE"):
                    assert str(Path(variable["value"]).parent) in mounts


def test_settings_reference_in_deploy_readme_lists_every_variable_settings_reads() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Settings reference", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|([^|]*)\|", section, re.M)
    documented = {name for name, _, _ in rows}
    missing = sorted(set(settings_variables()) - documented)
    assert not missing, f"deploy/README.md does not document: {missing}"
    stale = sorted(documented - set(settings_variables()))
    assert not stale, (
        f"deploy/README.md documents variables backend/settings/ no longer reads: {stale}"
    )
    for name, default, meaning in rows:
        assert default.strip() and meaning.strip(), name


# --- shutdown, security, isolation -----------------------------------------------------------


def test_web_pods_leave_the_endpoints_before_sigterm_and_have_time_to_drain() -> None:
    web = workload_named("liaison-web")
    pre_stop = container_named("web")["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod_spec(web)["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + 30
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_workers_may_finish_running_tasks_before_being_killed() -> None:
    time_limits = {
        int(cm["data"]["CELERY_TASK_TIME_LIMIT"])
        for cm in configmaps()
        if "CELERY_TASK_TIME_LIMIT" in cm["data"]
    }
    worker = workload_named("liaison-worker")
    assert pod_spec(worker)["terminationGracePeriodSeconds"] > max(time_limits)
    grace = parse_duration(compose_services()["worker"]["stop_grace_period"])
    assert grace > int(env_example_values(WORKER_ENV_EXAMPLE)["CELERY_TASK_TIME_LIMIT"])


@pytest.mark.parametrize("workload", workloads(), ids=lambda w: w["metadata"]["name"])
def test_pods_run_as_non_root_on_a_read_only_root_filesystem_with_a_writable_tmp(
    workload: dict[str, Any],
) -> None:
    spec = pod_spec(workload)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in spec["volumes"]}
    for container in all_containers(spec):
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts[TMP]]
        assert "memory" in container["resources"]["limits"]
        assert "cpu" in container["resources"]["requests"]


def test_media_is_shared_by_web_and_worker_on_one_read_write_many_claim() -> None:
    claims = {c["metadata"]["name"]: c for c in base_objects("PersistentVolumeClaim")}
    media_root = next(cm["data"]["MEDIA_ROOT"] for cm in base_objects("ConfigMap"))
    for name in ("liaison-web", "liaison-worker"):
        spec = pod_spec(workload_named(name))
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        claim = volumes[mounts[media_root]]["persistentVolumeClaim"]["claimName"]
        assert claims[claim]["spec"]["accessModes"] == ["ReadWriteMany"]


def test_autoscalers_and_disruption_budgets_target_the_deployments() -> None:
    deployments = {d["metadata"]["name"]: d for d in base_objects("Deployment")}
    scaled = set()
    for hpa in base_objects("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
        assert hpa["spec"]["minReplicas"] >= (2 if target["name"] == "liaison-web" else 1)
        scaled.add(target["name"])
    assert scaled == {"liaison-web", "liaison-worker"}
    budgeted = set()
    for pdb in base_objects("PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        matched = [n for n, d in deployments.items() if selector.items() <= pod_labels(d).items()]
        assert len(matched) == 1, pdb["metadata"]["name"]
        budgeted.update(matched)
    assert budgeted == {"liaison-web", "liaison-worker"}


def policies_for(labels: dict[str, str], policy_type: str) -> list[dict[str, Any]]:
    selected = []
    for policy in base_objects("NetworkPolicy"):
        selector = policy["spec"]["podSelector"]
        if policy_type not in policy["spec"]["policyTypes"]:
            continue
        if not selector.get("matchLabels", {}).items() <= labels.items():
            continue
        expressions = selector.get("matchExpressions", [])
        if all(e["operator"] == "In" and labels.get(e["key"]) in e["values"] for e in expressions):
            selected.append(policy)
    return selected


@pytest.mark.parametrize("workload", workloads(), ids=lambda w: w["metadata"]["name"])
def test_app_pods_reach_only_dns_postgres_redis_and_the_smtp_relay(
    workload: dict[str, Any],
) -> None:
    labels = pod_labels(workload)
    policies = policies_for(labels, "Egress")
    assert any(not p["spec"].get("egress") for p in policies), "no default deny"
    ports: set[int] = set()
    for policy in policies:
        for rule in policy["spec"].get("egress", []):
            assert rule["ports"], "an egress rule without ports opens everything"
            for peer in rule["to"]:
                assert set(peer) <= {"ipBlock", "namespaceSelector", "podSelector"}
                if "ipBlock" in peer:
                    network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                    assert network.num_addresses <= 256, "a whole network, not the services"
                    assert "except" not in peer["ipBlock"]
            ports.update(p["port"] for p in rule["ports"])
    assert ports <= ALLOWED_EGRESS_PORTS
    assert {53, 5432, 6379} <= ports
    assert (SMTP_PORT in ports) == (component(workload) in {"web", "worker"})


def test_only_web_pods_accept_connections() -> None:
    for workload in workloads():
        policies = policies_for(pod_labels(workload), "Ingress")
        assert any(not p["spec"].get("ingress") for p in policies), "no default deny"
        opened = [p for p in policies if p["spec"].get("ingress")]
        assert bool(opened) == (component(workload) == "web"), workload["metadata"]["name"]


def test_overlays_replace_the_placeholder_addresses_of_the_data_services() -> None:
    for overlay in OVERLAYS:
        patches = load_documents(overlay / "kustomization.yaml")[0]["patches"]
        patched = {
            p["target"]["name"]: load_documents_from_text(p["patch"])[0]
            for p in patches
            if p.get("target", {}).get("kind") == "NetworkPolicy"
        }
        assert set(patched) == {"liaison-app-egress-data", "liaison-app-egress-smtp"}
        for operations in patched.values():
            for operation in operations:
                assert operation["path"].endswith("/ipBlock/cidr")
                assert not ipaddress.ip_network(operation["value"]).overlaps(
                    ipaddress.ip_network("192.0.2.0/24")
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
