# Redis from Debian's packages, for the containers suite only (it cannot pull redis:7.4.2-bookworm,
# which the production compose uses). Runs as Debian's redis user; the command line (address,
# port, ACL file) comes from docker/compose.local.yml.
ARG BASE=simplecm/debian-base:bookworm
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
CMD ["redis-server"]
