#!/usr/bin/env bash
# The Kubernetes manifests against the Kubernetes API schemas, with a real validator:
# kubernetes-validate (PyPI; it ships the official OpenAPI-derived JSON schemas, so it needs no
# network at run time), in strict mode (unknown fields are errors), on the base files and on each
# overlay as `kubectl kustomize` renders it. kubeconform is on none of the reachable registries,
# and `kubectl --dry-run=client` still needs an API server for discovery.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$root/var/deploy-test
venv=$work/k8s-venv
K8S_VERSION=${K8S_VERSION:-1.31.0}
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet kubernetes-validate==1.37.0 2>&1 | { grep -v '^WARNING: Location' || true; }
fi
validate() { "$venv/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$@"; }

# The validator must reject what the API server would: a manifest with an unknown field fails.
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}\n' \
  > "$work/k8s-invalid.yaml"
if validate "$work/k8s-invalid.yaml" >/dev/null 2>&1; then
  echo "kubernetes-validate accepted an invalid Deployment" >&2; exit 1
fi

base=$(ls "$root"/deploy/k8s/base/*.yaml | grep -v /kustomization.yaml)
validate $base
count=$(cat $base | grep -c '^kind:')
rendered="base and overlays"
if ! command -v kubectl >/dev/null; then
  # The overlays are rendered by kubectl's kustomize (Debian's kubectl 1.20 is too old for them).
  echo "kubectl not found: the overlays are not rendered, only the base is validated" >&2
  rendered="base only"
fi
for overlay in $(command -v kubectl >/dev/null && ls -d "$root"/deploy/k8s/overlays/*/); do
  name=$(basename "$overlay")
  kubectl kustomize "$overlay" > "$work/k8s-$name.yaml"
  validate "$work/k8s-$name.yaml"
  count=$((count + $(grep -c '^kind:' "$work/k8s-$name.yaml")))
done
echo "kubernetes-validate $("$venv/bin/kubernetes-validate" --version 2>&1 | tail -n1) --strict, Kubernetes $K8S_VERSION: $count objects valid ($rendered); an invalid one is rejected"
