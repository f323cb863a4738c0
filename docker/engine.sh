#!/usr/bin/env bash
# A private Docker engine for the containers suite (issue 19), and the local images it runs.
#
#   docker/engine.sh up       start dockerd (root), its own socket, data root, exec root and pid file
#   docker/engine.sh base     only the Debian 12 base: mmdebstrap --variant=minbase bookworm, docker import
#   docker/engine.sh images   build the local images (debian base, node base, app, ssh host, redis,
#                             cassandra); cached in the data root, rebuilt only when missing/stale
#   docker/engine.sh down     remove every container, volume and network it made, stop the daemon
#   docker/engine.sh env      print the DOCKER_HOST line for a shell: eval "$(docker/engine.sh env)"
#
# The daemon never creates a private-range network: --bridge=none (no docker0, no default
# bridge network), --iptables=false, --ip-masq=false. Every container of the local test runs
# with host networking on its own loopback address (docker/compose.local.yml).
# The data root (images, build cache) lives in <cache>/containers/docker, <cache> being
# $SIMPLECM_CACHE_DIR or .cache: a fresh machine builds everything from nothing, a second run
# on the same machine reuses the images. `SIMPLECM_CONTAINERS_PRUNE=1 docker/engine.sh down`
# also deletes that data root.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${SIMPLECM_CACHE_DIR:-$repo/.cache}/containers
data_root=$cache/docker
run_dir=/run/simplecm-docker
socket=$run_dir/docker.sock
pidfile=$run_dir/dockerd.pid
log=$cache/dockerd.log
export DOCKER_HOST=unix://$socket
# Debian's client (docker.io 20.10) matches Debian's daemon; a newer client elsewhere on PATH
# (this kind of machine has one in /usr/local/bin) negotiates down too, but is not needed.
docker=/usr/bin/docker
[ -x "$docker" ] || docker=$(command -v docker)

say() { printf '[engine] %s\n' "$*" >&2; }

daemon_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q dockerd "/proc/$pid/comm" && echo "$pid"
}

up() {
  if daemon_pid >/dev/null && "$docker" info >/dev/null 2>&1; then say "dockerd already running ($DOCKER_HOST)"; return; fi
  [ "$(id -u)" = 0 ] || { say "dockerd runs as root"; exit 1; }
  command -v dockerd >/dev/null || { say "dockerd missing: apt-get install docker.io"; exit 1; }
  mkdir -p "$data_root" "$run_dir"
  say "starting dockerd (data root $data_root, socket $socket)"
  # setsid: its own session, so a test runner's process group signals do not reach it.
  setsid dockerd \
    --host "unix://$socket" --data-root "$data_root" --exec-root "$run_dir/exec" --pidfile "$pidfile" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --userland-proxy=false --storage-driver overlay2 --log-level warn \
    >"$log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    "$docker" info >/dev/null 2>&1 && { say "dockerd up ($("$docker" version -f '{{.Server.Version}}'))"; return; }
    sleep 0.5
  done
  say "dockerd did not answer in 60 s; last lines of $log:"; tail -20 "$log" >&2; exit 1
}

down() {
  if daemon_pid >/dev/null; then
    local ids
    ids=$("$docker" ps -aq) || true
    [ -z "$ids" ] || "$docker" rm -f -v $ids >/dev/null
    ids=$("$docker" volume ls -q) || true
    [ -z "$ids" ] || "$docker" volume rm -f $ids >/dev/null
    "$docker" network prune -f >/dev/null || true
    local pid
    pid=$(daemon_pid)
    say "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 60); do [ -d "/proc/$pid" ] || break; sleep 0.5; done
    [ ! -d "/proc/$pid" ] || { say "dockerd still running after 30 s: SIGKILL"; kill -KILL "$pid"; }
  fi
  # Anything the daemon left mounted below its roots (a crash) is unmounted, deepest first.
  grep -E " ($data_root|$run_dir)[/ ]" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$run_dir"
  if [ "${SIMPLECM_CONTAINERS_PRUNE:-0}" = 1 ]; then say "removing $data_root"; rm -rf "$data_root"; fi
}

# --- images ---------------------------------------------------------------------------------
base_image=simplecm/debian-base:bookworm
node_image=simplecm/node-base:20.20.2
image_exists() { "$docker" image inspect "$1" >/dev/null 2>&1; }

build_base() {
  image_exists "$base_image" && return
  command -v mmdebstrap >/dev/null || { say "mmdebstrap missing: apt-get install mmdebstrap"; exit 1; }
  local tar=$cache/debian-bookworm-minbase.tar
  say "mmdebstrap --variant=minbase bookworm (Debian 12 base from Debian's packages)"
  # (mmdebstrap picks its output format by the name's extension: .tar)
  # The base trusts what this machine trusts: its local CAs (a TLS-inspecting egress proxy's, say)
  # are added, and Node.js is pointed at the system bundle (it has a CA list of its own).
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --customize-hook='for c in /usr/local/share/ca-certificates/*.crt; do [ ! -f "$c" ] || cp "$c" "$1/usr/local/share/ca-certificates/"; done; chroot "$1" update-ca-certificates >/dev/null' \
    bookworm "$cache/partial-base.tar" && mv "$cache/partial-base.tar" "$tar"
  "$docker" import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' "$tar" "$base_image" >/dev/null
  rm -f "$tar"
}

# The parts of the repository the app image is built from (a superset of what
# docker/app.Dockerfile copies); the other images' contexts are small and hashed whole.
app_inputs=(package.json package-lock.json tsconfig.json apps packages modules cql examples bin tools/stack/package.json docker)

# A digest of what an image is built from: its Dockerfile, build arguments and the files of its
# context (or of the paths given in $inputs, relative to it). An image labelled with the same
# digest is current and not even sent to the builder (on a warm run, sending contexts and walking
# the layer cache is what takes the time).
inputs_digest() {
  local file=$1 context=$2; shift 2
  { printf '%s\n' "$@"; sha256sum "$file"
    (cd "$context" && find "${inputs[@]:-.}" -type f -not -path '*/node_modules/*' -not -path '*/dist/*' -print0 2>/dev/null \
      | sort -z | xargs -0 -r sha256sum 2>/dev/null || true); } | sha256sum | cut -d' ' -f1
}

# docker build on the host network (apt and the npm registry are reached from the build).
build() {
  local tag=$1 file=$2 context=$3; shift 3
  local digest started=$SECONDS
  digest=$(inputs_digest "$file" "$context" "$@")
  if [ "$("$docker" image inspect -f '{{index .Config.Labels "simplecm.inputs"}}' "$tag" 2>/dev/null)" = "$digest" ]; then
    say "$tag is current"; return
  fi
  "$docker" build --network host --force-rm -q --label "simplecm.inputs=$digest" -t "$tag" -f "$file" "$@" "$context" >/dev/null
  say "built $tag in $((SECONDS - started)) s"
}

# Cassandra's jars come from Maven Central through the stack's own pom (the same 5.0.9 jars as
# the local stack); they and its config files form a small build context of their own.
cassandra_context() {
  local ctx=$cache/cassandra-context
  if [ ! -f "$ctx/lib/cassandra-all-5.0.9.jar" ]; then
    say "fetching the Cassandra jars (mvn, tools/stack/cassandra/pom.xml)"
    rm -rf "$ctx/lib.partial"
    mvn -B -q -f "$repo/tools/stack/cassandra/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ctx/lib.partial" -Dstyle.color=never >&2
    rm -rf "$ctx/lib" && mv "$ctx/lib.partial" "$ctx/lib"
  fi
  rm -rf "$ctx/conf" && mkdir -p "$ctx/conf"
  cp "$repo"/tools/stack/cassandra/{cassandra.yaml,jvm17.options,logback.xml} "$repo/docker/cassandra-entrypoint.sh" "$ctx/conf/"
  echo "$ctx"
}

images() {
  build_base
  local local_base=(--build-arg "BASE=$base_image")
  local inputs=()
  image_exists "$node_image" || build "$node_image" "$repo/docker/node-base.Dockerfile" "$repo/docker" "${local_base[@]}"
  inputs=("${app_inputs[@]}"); build simplecm/app:0.1.0 "$repo/docker/app.Dockerfile" "$repo" --build-arg "NODE_BASE=$node_image"
  inputs=(ssh-host.Dockerfile ssh-host-init.sh); build simplecm/ssh-host:0.1.0 "$repo/docker/ssh-host.Dockerfile" "$repo/docker" "${local_base[@]}"
  inputs=(redis.Dockerfile); build simplecm/redis:local "$repo/docker/redis.Dockerfile" "$repo/docker" "${local_base[@]}"
  inputs=(); build simplecm/cassandra:5.0.9-local "$repo/docker/cassandra.Dockerfile" "$(cassandra_context)" "${local_base[@]}"
  "$docker" image prune -f >/dev/null
}

case ${1:-} in
  up) up ;;
  down) down ;;
  images) images ;;
  base) build_base ;;
  env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
  *) echo "usage: $0 up|base|images|down|env" >&2; exit 2 ;;
esac
