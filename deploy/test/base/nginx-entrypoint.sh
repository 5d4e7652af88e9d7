#!/bin/sh
# As the upstream nginx image: each /etc/nginx/templates/*.template is rendered into
# $NGINX_ENVSUBST_OUTPUT_DIR with only the variables defined in the environment substituted
# (nginx's own $variables stay as they are).
set -eu
out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
if [ -d /etc/nginx/templates ]; then
  mkdir -p "$out"
  defined=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
  for template in /etc/nginx/templates/*.template; do
    [ -e "$template" ] || continue
    envsubst "$defined" < "$template" > "$out/$(basename "$template" .template)"
  done
fi
exec "$@"
