"""The deployment files agree with the settings and keep the platform isolated: every
environment variable they set is one the settings read (and deploy/README.md documents each),
secrets travel as files, pods drain, run as non-root, reach only their data services.
The shared readers are in tests/support/deploy_files.py.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.deploy_files import (
    ALLOWED_EGRESS_PORTS,
    DEPLOY,
    OVERLAYS,
    README,
    SECRET_VARIABLES,
    SMTP_PORT,
    TMP,
    WORKER_ENV_EXAMPLE,
    accepted_variable_names,
    all_containers,
    base_objects,
    component,
    compose,
    compose_app_services,
    compose_env_files,
    compose_services,
    configmaps,
    container_named,
    env_example_values,
    load_documents,
    load_documents_from_text,
    parse_duration,
    pod_labels,
    pod_spec,
    settings_variables,
    workload_named,
    workloads,
)

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
