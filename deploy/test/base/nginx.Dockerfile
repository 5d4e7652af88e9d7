# Stands in for nginx:1.28-alpine: Debian's nginx (1.22) with the upstream image's behaviour that
# compose.yaml relies on: templates in /etc/nginx/templates rendered with envsubst into
# $NGINX_ENVSUBST_OUTPUT_DIR at start, a `nginx` user, and wget for the health check.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx gettext-base wget ca-certificates \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
    && useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nginx
COPY nginx-entrypoint.sh /docker-entrypoint.sh
ENTRYPOINT ["/docker-entrypoint.sh"]
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
