#!/usr/bin/env bash
# The container engine for `make deploy-test`: Debian's docker.io, docker-compose and debootstrap,
# and a dockerd of our own that never touches the host's network (no bridge, no iptables).
#
#   engine.sh install   install the Debian packages when missing (their daemons stay stopped)
#   engine.sh start     start our dockerd unless it answers already (prints "started" or "running")
#   engine.sh stop      stop the dockerd this script started (by its pid file), nothing else
#
# Every container then uses the host's network namespace (network_mode: host) and every service
# binds 127.0.0.1 only. Our dockerd has its own socket, data root and pid file, so it cannot be
# confused with (or stop) another engine on the machine.
set -euo pipefail

ENGINE_DIR=${LIAISON_ENGINE_DIR:-/var/lib/liaison-docker}
SOCK=${LIAISON_DOCKER_SOCK:-/run/liaison-docker.sock}
PIDFILE=${LIAISON_DOCKER_PIDFILE:-/run/liaison-docker.pid}
EXEC_ROOT=${LIAISON_DOCKER_EXEC_ROOT:-/run/liaison-docker}
LOG=${LIAISON_DOCKER_LOG:-/var/log/liaison-dockerd.log}
DOCKER=/usr/bin/docker   # Debian's client, matching its daemon (not another one on the PATH)

install() {
  local missing=()
  [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
  [ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
  [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v turnutils_uclient >/dev/null || missing+=(coturn)
  [ ${#missing[@]} = 0 ] && return 0
  # Debian's post-install would start dockerd (default bridge, iptables rules) and coturn on every
  # interface: forbid starting any service during the install, we start our own below.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" \
    containerd runc tini iptables
}

running() { [ -S "$SOCK" ] && DOCKER_HOST=unix://$SOCK $DOCKER version >/dev/null 2>&1; }

start() {
  if running; then echo running; return 0; fi
  mkdir -p "$ENGINE_DIR" "$EXEC_ROOT"
  # --bridge=none: no docker0, no address of our own; --iptables/--ip6tables=false: the host's
  # firewall is left alone. --host: a private unix socket, no TCP. containerd is dockerd's own
  # child (managed mode) so that stopping dockerd stops it too.
  setsid /usr/sbin/dockerd \
    --host "unix://$SOCK" --pidfile "$PIDFILE" --data-root "$ENGINE_DIR/data" \
    --exec-root "$EXEC_ROOT" --bridge=none --iptables=false --ip6tables=false \
    --ip-forward=false --ip-masq=false --userland-proxy=false \
    --storage-driver="${LIAISON_STORAGE_DRIVER:-overlay2}" \
    >>"$LOG" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    if running; then echo started; return 0; fi
    sleep 1
  done
  echo "dockerd did not answer on $SOCK within 60 s; the end of $LOG:" >&2
  tail -n 40 "$LOG" >&2
  return 1
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid; pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$PIDFILE"
  # dockerd leaves the mount of its default network namespace behind: nothing else uses it.
  if mountpoint -q "$EXEC_ROOT/netns/default" 2>/dev/null; then umount "$EXEC_ROOT/netns/default"; fi
}

"${1:?install|start|stop}"
