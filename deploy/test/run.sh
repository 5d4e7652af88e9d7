#!/usr/bin/env bash
# `make deploy-test`: the image and the compose stack, built and run for real with dockerd.
#
# Stages (each timed): engine (install docker.io, docker-compose, debootstrap; start a dockerd of
# our own on host networking only) -> base images (once per machine) -> the project's image from
# deploy/Dockerfile -> the stack up -> the smoke test through nginx -> backup, a fresh stack,
# restore, check -> Kubernetes manifests against the schemas -> teardown. It leaves no container,
# network, volume or dockerd of its own running (the images stay, as the build cache).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=${PY:-$root/.venv/bin/python}
work=$root/var/deploy-test
stack=$work/stack
export DOCKER=/usr/bin/docker
export DOCKER_HOST=unix://${LIAISON_DOCKER_SOCK:-/run/liaison-docker.sock}
export COMPOSE_PROJECT_NAME=liaison-test
compose=(/usr/bin/docker-compose --ansi never -f "$stack/compose.yaml" --project-directory "$stack")
started_engine=0
t0=$(date +%s)

stage() {  # stage NAME command...: runs it and prints how long it took
  local name=$1 start=$(date +%s); shift
  echo "[deploy-test] -- $name"
  "$@"
  echo "[deploy-test] $name: $(( $(date +%s) - start )) s"
}

teardown() {
  local rc=$?
  set +e
  if [ -f "$stack/compose.yaml" ] && $DOCKER version >/dev/null 2>&1; then
    if [ $rc != 0 ]; then
      echo "[deploy-test] failed: the last logs of each service follow" >&2
      "${compose[@]}" ps >&2
      "${compose[@]}" logs --no-color --tail 40 >&2
    fi
    "${compose[@]}" down --volumes --remove-orphans --timeout 20 >/dev/null 2>&1
    # Containers of one-off runs and anything else of this project, should any be left.
    ids=$($DOCKER ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
    [ -n "$ids" ] && $DOCKER rm -f $ids >/dev/null
    $DOCKER image prune -f >/dev/null  # dangling layers of replaced images
  fi
  if [ $started_engine = 1 ]; then "$here/engine.sh" stop; fi
  echo "[deploy-test] total: $(( $(date +%s) - t0 )) s ($( [ $rc = 0 ] && echo passed || echo FAILED))"
  exit $rc
}
trap teardown EXIT
trap "exit 143" TERM INT

engine() {
  "$here/engine.sh" install
  [ "$("$here/engine.sh" start)" = started ] && started_engine=1
  $DOCKER version --format 'dockerd {{.Server.Version}}, client {{.Client.Version}}'
  /usr/bin/docker-compose version --short
}

base_images() {
  "$here/images.sh" > "$work/images.env"
  cat "$work/images.env"
}

project_image() {
  set -a; . "$work/images.env"; set +a
  local tag; tag=liaison-sante:$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo local)
  local ca=()
  # A TLS-inspecting proxy between this machine and the package registries: pass its CA.
  [ -s /etc/ssl/certs/ca-certificates.crt ] && ca=(--secret id=build_ca,src=/etc/ssl/certs/ca-certificates.crt)
  DOCKER_BUILDKIT=1 $DOCKER build --network host --progress plain "${ca[@]}" \
    --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" --build-arg "NODE_IMAGE=$NODE_IMAGE" \
    -f "$root/deploy/Dockerfile" -t "$tag" "$root" > "$work/build.log" 2>&1 \
    || { tail -n 60 "$work/build.log" >&2; return 1; }
  echo "LIAISON_IMAGE=$tag" >> "$work/images.env"
  echo "image $tag: $($DOCKER image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1000000}')"
}

stack_up() {
  set -a; . "$work/images.env"; set +a
  "$PY" "$here/hoststack.py" "$stack"
  "$here/secrets.sh" "$stack" 15432 16379
  "${compose[@]}" up -d --quiet-pull 2>&1 | grep -v "^Creating\|^Starting" || true
  wait_healthy
}

wait_healthy() {  # every long-running service healthy, the jobs exited 0
  local deadline=$(( $(date +%s) + 300 )) name state id
  while :; do
    local pending=()
    for name in migrate static postgres redis web-1 web-2 worker beat nginx coturn; do
      id=$("${compose[@]}" ps -q "$name" 2>/dev/null || true)
      state=$([ -n "$id" ] && $DOCKER inspect -f \
        '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}} {{.State.ExitCode}}{{end}}' "$id" || echo absent)
      case "$name:$state" in
        migrate:"exited 0" | static:"exited 0") ;;
        migrate:exited* | static:exited*) echo "$name failed: $state" >&2; return 1 ;;
        *:healthy) ;;
        *) pending+=("$name:$state") ;;
      esac
    done
    [ ${#pending[@]} = 0 ] && { echo "every service healthy, migrate and static exited 0"; return 0; }
    if [ "$(date +%s)" -gt $deadline ]; then echo "not ready after 300 s: ${pending[*]}" >&2; return 1; fi
    sleep 3
  done
}

smoke() {
  set -a; . "$work/images.env"; set +a
  "${compose[@]}" run --rm --no-deps -T migrate python manage.py shell < "$here/smoke_users.py" \
    | sed -n 's/^SMOKE-USERS //p' > "$work/users.json"
  "$PY" "$here/smoke.py" full --stack "$stack" --users "$work/users.json" --state "$work/state.json"
}

backup_restore() {
  set -a; . "$work/images.env"; set +a
  local backups=$stack/backups
  # The documented procedure (deploy/README.md, "Backups and restore"): a logical dump of the
  # database and an archive of the media volume, taken with the stack running.
  "${compose[@]}" exec -T postgres sh -c 'pg_dump -h /run/postgresql -p 15432 -U liaison -d liaison -Fc' \
    > "$backups/liaison.dump"
  "${compose[@]}" run --rm --no-deps -T migrate tar -C /data/media -czf - . > "$backups/media.tar.gz"
  echo "dump $(du -h "$backups/liaison.dump" | cut -f1), media $(du -h "$backups/media.tar.gz" | cut -f1)"
  # Everything goes, volumes included: the restore starts from nothing but the two files.
  "${compose[@]}" down --volumes --timeout 20 >/dev/null 2>&1
  [ -z "$($DOCKER volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")" ]
  "${compose[@]}" up -d postgres 2>&1 | grep -v "^Creating" || true
  for _ in $(seq 1 60); do
    "${compose[@]}" exec -T postgres pg_isready -q -h /run/postgresql -p 15432 -U liaison -d liaison && break
    sleep 1
  done
  "${compose[@]}" exec -T postgres pg_restore -h /run/postgresql -p 15432 -U liaison -d liaison \
    --no-owner --exit-on-error < "$backups/liaison.dump"
  "${compose[@]}" run --rm --no-deps -T migrate tar -C /data/media -xzf - < "$backups/media.tar.gz"
  "${compose[@]}" up -d 2>&1 | grep -v "^Creating\|^Starting\|is up-to-date" || true
  wait_healthy
  "$PY" "$here/smoke.py" restored --stack "$stack" --users "$work/users.json" --state "$work/state.json"
}

k8s() {
  "$here/k8s.sh"
}

mkdir -p "$work"
stage engine engine
stage "base images" base_images
stage "project image" project_image
stage "stack up" stack_up
stage "smoke test" smoke
stage "backup and restore" backup_restore
stage "kubernetes manifests" k8s
