"""The deployment files (deploy/) agree with the application they deploy.

No network and no Docker: every YAML file is parsed, and what the manifests say about the app
(commands, probe paths, ports, environment variables) is checked against the code itself: the
daphne and Celery command lines are parsed by daphne's and Celery's own parsers, the ASGI
application and the Celery app are imported, probe paths are resolved by Django's URL resolver,
environment variables are compared with what backend/settings/ reads, and the settings
reference in deploy/README.md must list every one of them. This file: the files parse, the
containers run the app's entry points, probes and ports agree; the settings and isolation, the
edge and the image have their own files (test_deploy_settings.py, test_deploy_edge.py); the
shared readers are in tests/support/deploy_files.py.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.http.request import validate_host
from django.urls import resolve

from backend import health
from tests.support.deploy_files import (
    APP_IMAGE,
    BASE,
    COMPOSE_FILE,
    DAPHNE_PORT,
    DEPLOY,
    DOCKERFILE,
    K8S,
    NGINX_SITE,
    OVERLAYS,
    TMP,
    WEB_ENV_EXAMPLE,
    all_containers,
    base_objects,
    check_app_command,
    component,
    compose_app_services,
    compose_argv,
    compose_services,
    configmaps,
    container_named,
    dockerfile_instructions,
    env_example_values,
    healthcheck_url,
    is_job,
    k8s_argv,
    k8s_objects,
    load_documents,
    load_documents_from_text,
    pod_labels,
    pod_spec,
    workload_named,
    workloads,
    yaml_files,
)

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
