# Apache Cassandra 5.0.9 on OpenJDK 17, for the containers suite only (the production compose
# runs the public cassandra:5.0.9 image): the same Maven Central jars and config files as the
# local stack (tools/stack/cassandra/), built on the local Debian 12 base. docker/engine.sh makes
# the build context: lib/ (mvn dependency:copy-dependencies of tools/stack/cassandra/pom.xml) and
# conf/ (cassandra.yaml, jvm17.options, logback.xml, cassandra-entrypoint.sh).
ARG BASE=simplecm/debian-base:bookworm
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10002 cassandra && useradd --system --uid 10002 --gid cassandra --home-dir /var/lib/cassandra --shell /usr/sbin/nologin cassandra \
 && mkdir -p /var/lib/cassandra /etc/cassandra && chown cassandra:cassandra /var/lib/cassandra /etc/cassandra
COPY lib /opt/cassandra/lib
COPY conf /opt/cassandra/conf
USER cassandra
VOLUME /var/lib/cassandra
# CQL answers once the node is up (a TCP connect to the native transport port is enough here:
# it opens only after start-up, schema and auth setup).
HEALTHCHECK --interval=3s --timeout=3s --retries=100 CMD ["/opt/cassandra/conf/cassandra-entrypoint.sh", "health"]
ENTRYPOINT ["/opt/cassandra/conf/cassandra-entrypoint.sh"]
