#!/bin/bash
# One Cassandra node (docker/cassandra.Dockerfile). Environment:
#   CASSANDRA_ADDRESS  listen and rpc address (default: the first address of the container)
#   CASSANDRA_SEEDS    seed addresses (default: CASSANDRA_ADDRESS)
#   CASSANDRA_CQL_PORT native transport port (default 9042); CASSANDRA_STORAGE_PORT (default 7000)
#   CASSANDRA_AUTH     1 (default): PasswordAuthenticator and CassandraAuthorizer, so every client
#                      must log in; the first superuser is cassandra/cassandra until
#                      docker/cassandra-roles.cjs replaces it.
# `cassandra-entrypoint.sh health` is the image's health check.
set -euo pipefail
conf=/opt/cassandra/conf
address=${CASSANDRA_ADDRESS:-$(hostname -I 2>/dev/null | awk '{print $1}')}
address=${address:-127.0.0.1}
cql_port=${CASSANDRA_CQL_PORT:-9042}
if [ "${1:-}" = health ]; then exec bash -c "exec 3<>/dev/tcp/$address/$cql_port" 2>/dev/null; fi
storage_port=${CASSANDRA_STORAGE_PORT:-7000}
seeds=${CASSANDRA_SEEDS:-$address}
auth=AllowAllAuthenticator; authz=AllowAllAuthorizer
if [ "${CASSANDRA_AUTH:-1}" = 1 ]; then auth=PasswordAuthenticator; authz=CassandraAuthorizer; fi
sed -e "s/^listen_address:.*/listen_address: $address/" -e "s/^rpc_address:.*/rpc_address: $address/" \
    -e "s/^native_transport_port:.*/native_transport_port: $cql_port/" -e "s/^storage_port:.*/storage_port: $storage_port/" \
    -e "s/- seeds:.*/- seeds: \"$seeds:$storage_port\"/" \
    -e "s/^authenticator:.*/authenticator: $auth/" -e "s/^authorizer:.*/authorizer: $authz/" \
    "$conf/cassandra.yaml" > /etc/cassandra/cassandra.yaml
data=/var/lib/cassandra
mapfile -t flags < <(grep -E '^\s*-' "$conf/jvm17.options" | sed 's/^\s*//')
jamm=$(ls /opt/cassandra/lib/jamm-*.jar)
exec java "${flags[@]}" "-javaagent:$jamm" \
  -Dcassandra.config=file:///etc/cassandra/cassandra.yaml -Dlogback.configurationFile="$conf/logback.xml" \
  -Dcassandra.storagedir="$data" -Dcassandra.logdir="$data/logs" -Dcassandra.triggers_dir="$data/triggers" \
  -Dcassandra-foreground=yes -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.ring_delay_ms=100 -Dcassandra.superuser_setup_delay_ms=0 \
  -XX:HeapDumpPath="$data" -XX:ErrorFile="$data/hs_err_pid%p.log" \
  -cp '/opt/cassandra/lib/*' org.apache.cassandra.service.CassandraDaemon
