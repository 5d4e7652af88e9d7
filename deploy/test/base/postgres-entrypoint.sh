#!/bin/sh
# First start: initdb with POSTGRES_USER and the password of POSTGRES_PASSWORD_FILE (password
# authentication on TCP, trust only on the container's own unix socket), then POSTGRES_DB.
# Every start: the server runs as postgres (the upstream image's contract).
set -eu
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown postgres:postgres "$PGDATA" /run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  initdb -D "$PGDATA" -U "$user" --pwfile="${POSTGRES_PASSWORD_FILE:?POSTGRES_PASSWORD_FILE}" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" start >/dev/null
    createdb -h /run/postgresql -U "$user" "$POSTGRES_DB"
    pg_ctl -D "$PGDATA" -w stop >/dev/null
  fi
fi
exec "$@"
