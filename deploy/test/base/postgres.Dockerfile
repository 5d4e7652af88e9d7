# Stands in for postgres:17: Debian's PostgreSQL 15 with the upstream image's interface that
# compose.yaml uses: PGDATA=/var/lib/postgresql/data, POSTGRES_USER / POSTGRES_DB /
# POSTGRES_PASSWORD_FILE read on first start, the server run as the postgres user.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /run/postgresql \
    && chown postgres:postgres /var/lib/postgresql/data /run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY postgres-entrypoint.sh /docker-entrypoint.sh
ENTRYPOINT ["/docker-entrypoint.sh"]
STOPSIGNAL SIGINT
CMD ["postgres"]
