# Stands in for node:20: Debian bookworm plus the Node.js 20 of the build machine (the one its
# `make frontend` uses; Debian's own nodejs 18 is older than the client's engines field).
# node.tar is written by images.sh from the machine's installed files.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ADD node.tar /
RUN node --version && npm --version
CMD ["node"]
