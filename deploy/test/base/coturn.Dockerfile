# Stands in for coturn/coturn:4.6: Debian's coturn 4.6 (turnserver and the turnutils_* tools),
# run as nobody like the upstream image.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends coturn \
    && rm -rf /var/lib/apt/lists/*
USER nobody:nogroup
CMD ["turnserver"]
