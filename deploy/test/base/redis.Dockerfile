# Stands in for redis:7.4-alpine: Debian's Redis 7.0, a `redis` user owning /data (the working
# directory, where the append-only file goes), sh and redis-cli as compose.yaml uses them.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown redis:redis /data
WORKDIR /data
CMD ["redis-server"]
