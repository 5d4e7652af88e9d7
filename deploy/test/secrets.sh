#!/usr/bin/env bash
# Per-run secrets for the test stack (the same files deploy/README.md tells an operator to
# create), and a throwaway test CA with a certificate for localhost / 127.0.0.1 that nginx and
# coturn serve. The smoke test trusts that CA only.
#   secrets.sh STACK_DIR PG_PORT REDIS_PORT
set -euo pipefail
stack=$1 pg_port=$2 redis_port=$3
s=$stack/secrets
rm -rf "$s" && mkdir -p "$s/tls" "$s/mssante" && chmod 700 "$s"
openssl rand -base64 64 | tr -d '\n' > "$s/django_secret_key"
openssl rand -hex 32 > "$s/postgres_password"
printf 'postgres://liaison:%s@127.0.0.1:%s/liaison' "$(cat "$s/postgres_password")" "$pg_port" > "$s/database_url"
openssl rand -hex 32 > "$s/redis_password"
printf 'redis://:%s@127.0.0.1:%s/0' "$(cat "$s/redis_password")" "$redis_port" > "$s/redis_url"
openssl rand -hex 32 > "$s/turn_secret"
openssl ecparam -name prime256v1 -genkey -noout -out "$s/web_push_vapid_key"

ca=$stack/ca
rm -rf "$ca" && mkdir -p "$ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=Liaison deploy-test CA" -keyout "$ca/ca.key" -out "$ca/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$s/tls/privkey.pem" -out "$ca/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$ca/ext"
openssl x509 -req -in "$ca/server.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial \
  -days 2 -extfile "$ca/ext" -out "$ca/server.pem" 2>/dev/null
cat "$ca/server.pem" "$ca/ca.pem" > "$s/tls/fullchain.pem"
# The containers read them as different users (10001, nobody, redis, postgres).
chmod 444 "$s"/* "$s"/tls/* 2>/dev/null || true
chmod 755 "$s/tls" "$s/mssante"
