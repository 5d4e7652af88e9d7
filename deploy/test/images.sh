#!/usr/bin/env bash
# The local base images that stand in for the upstream ones (no image registry is reachable):
# a debootstrapped Debian bookworm imported with `docker import`, and on it python, node, nginx,
# postgres, redis and coturn from Debian's own packages (deploy/test/base/*.Dockerfile).
#
# Built once per machine: each image carries a label with the hash of its recipe and is rebuilt
# only when that recipe changes. Prints the names as shell assignments for the caller:
#   DEBIAN_IMAGE=... PYTHON_IMAGE=... NODE_IMAGE=... NGINX_IMAGE=... POSTGRES_IMAGE=...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DOCKER=${DOCKER:-/usr/bin/docker}
ROOTFS_DIR=${LIAISON_ENGINE_DIR:-/var/lib/liaison-docker}/rootfs
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
REPO=liaison-local

recipe_of() { sha256sum "$@" | sha256sum | cut -c1-16; }
label_of() { $DOCKER image inspect -f '{{index .Config.Labels "liaison.recipe"}}' "$1" 2>/dev/null || true; }

# 1. Debian bookworm, minimal, straight from the Debian archive.
debian=$REPO/debian:bookworm
debian_recipe=bookworm-minbase-1  # bump to force a new debootstrap
if [ "$(label_of "$debian")" != "$debian_recipe" ]; then
  rootfs=$ROOTFS_DIR/bookworm
  rm -rf "$rootfs" && mkdir -p "$ROOTFS_DIR"
  echo "debootstrap bookworm ($MIRROR)" >&2
  debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$ROOTFS_DIR/debootstrap.log" 2>&1 \
    || { tail -n 30 "$ROOTFS_DIR/debootstrap.log" >&2; exit 1; }
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -c . | $DOCKER import --change "LABEL liaison.recipe=$debian_recipe" \
    --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$debian" >/dev/null
  rm -rf "$rootfs"
fi
echo "DEBIAN_IMAGE=$debian"

# Node.js 20 for the client build: the machine's own (see base/node.Dockerfile).
node_tar=$ROOTFS_DIR/node.tar
node_bin=$(readlink -f "$(command -v node)")
node_prefix=$(dirname "$(dirname "$node_bin")")
tar -C / -cf "$node_tar.new" "${node_bin#/}" "${node_prefix#/}/lib/node_modules/npm" \
  "${node_prefix#/}/bin/npm" "${node_prefix#/}/bin/npx"
if ! cmp -s "$node_tar.new" "$node_tar"; then mv "$node_tar.new" "$node_tar"; else rm "$node_tar.new"; fi

build_base() {  # name tag dockerfile [extra files of the recipe...]
  local name=$1 tag=$2 dockerfile=$here/base/$3; shift 3
  local image=$REPO/$name:$tag context
  local recipe; recipe=$(recipe_of "$dockerfile" "$@")-$(label_of "$debian")
  if [ "$(label_of "$image")" != "$recipe" ]; then
    context=$(mktemp -d)
    cp "$dockerfile" "$@" "$context/"
    echo "build $image" >&2
    DOCKER_BUILDKIT=1 $DOCKER build --network host --quiet --build-arg "DEBIAN_IMAGE=$debian" \
      --label "liaison.recipe=$recipe" -t "$image" -f "$context/$(basename "$dockerfile")" \
      "$context" >/dev/null
    rm -rf "$context"
  fi
  echo "$(tr 'a-z' 'A-Z' <<<"$name")_IMAGE=$image"
}

build_base python 3.11-bookworm python.Dockerfile
# The node image also covers a change of the machine's Node.js (its tar is part of the recipe).
build_base node 20-bookworm node.Dockerfile "$node_tar"
build_base nginx 1.22-bookworm nginx.Dockerfile "$here/base/nginx-entrypoint.sh"
build_base postgres 15-bookworm postgres.Dockerfile "$here/base/postgres-entrypoint.sh"
build_base redis 7.0-bookworm redis.Dockerfile
build_base coturn 4.6-bookworm coturn.Dockerfile
