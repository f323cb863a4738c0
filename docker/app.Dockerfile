# SimpleCM's processes (master, worker, results consumer, dashboard) in one image; the
# command picks the process. Multi-stage: the production dependencies are installed (ssh2's
# native crypto compiled) in one stage, the apps bundled in another; the runtime stage gets the
# bundles and the production dependencies only (no compiler, no dev dependencies) and runs as an
# unprivileged user.
# Keys, known_hosts and TLS material are mounted at run time, never copied in (.dockerignore
# keeps node_modules, .cache, .stack, secrets/, dist/, artifacts/ and .git out of the context).
# NODE_BASE: the pinned public image in production; the containers suite passes its local
# build (docker/node-base.Dockerfile: the same Node.js 20.20.2 from the npm registry).
ARG NODE_BASE=node:20.20.2-bookworm-slim

# The manifests, once per stage that installs from them.
FROM ${NODE_BASE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/master/package.json apps/master/
COPY apps/worker/package.json apps/worker/
COPY apps/results/package.json apps/results/
COPY apps/dashboard/package.json apps/dashboard/
COPY apps/history/package.json apps/history/
COPY packages/config/package.json packages/config/
COPY packages/domain/package.json packages/domain/
COPY packages/kernel/package.json packages/kernel/
COPY packages/modules/package.json packages/modules/
COPY packages/queue/package.json packages/queue/
COPY packages/ssh/package.json packages/ssh/
COPY packages/store/package.json packages/store/
COPY packages/terminal/package.json packages/terminal/
COPY packages/telemetry/package.json packages/telemetry/
COPY apps/state/package.json apps/state/
COPY packages/state/package.json packages/state/
# The development tooling's manifest only (npm ci checks every workspace against the lock file); none of its code.
COPY tools/stack/package.json tools/stack/

# Production dependencies only, installed on their own. npm still installs typescript, which the
# lockfile marks devOptional (an optional peer of valibot, under @bull-board): nothing at run
# time needs it, so it goes.
FROM manifests AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver && npm cache clean --force

# Everything, to bundle the apps.
FROM deps AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY apps apps
COPY packages packages
COPY modules modules
COPY cql cql
# The example desired state (examples/demo-state), which `state seed` loads.
COPY examples examples
COPY bin bin
COPY docker/healthcheck.cjs docker/healthcheck.cjs
COPY docker/cassandra-roles.cjs docker/cassandra-roles.cjs
RUN node bin/app.cjs --build && find apps packages -name __tests__ -type d -prune -exec rm -rf {} + && touch dist/*.js

FROM ${NODE_BASE}
ENV NODE_ENV=production \
    SIMPLECM_MODULES_DIR=/app/modules \
    SIMPLECM_KEYS_DIR=/etc/simple-cm/keys \
    SIMPLECM_KNOWN_HOSTS=/etc/simple-cm/known_hosts
# A fixed uid/gid (10001), so an operator can give a mounted key that owner instead of the
# keys init step (docs/containers.md).
RUN groupadd --system --gid 10001 simplecm && useradd --system --uid 10001 --gid simplecm --home-dir /app --shell /usr/sbin/nologin simplecm
WORKDIR /app
# Owned by root and read-only to the app user: the running process cannot change its own code.
COPY --from=build /app/package.json /app/package-lock.json /app/tsconfig.json ./
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/apps apps
COPY --from=build /app/packages packages
COPY --from=build /app/modules modules
COPY --from=build /app/cql cql
COPY --from=build /app/dist dist
COPY --from=build /app/examples examples
COPY --from=build /app/bin bin
COPY --from=build /app/docker/healthcheck.cjs /app/docker/cassandra-roles.cjs docker/
USER simplecm
# Per process: the dashboard answers HTTP, the others reach their Redis (docker/healthcheck.cjs).
HEALTHCHECK --interval=5s --timeout=4s --start-period=10s --retries=6 CMD ["node", "/app/docker/healthcheck.cjs"]
# The command names the app (enqueue, read, worker, results-consumer, dashboard, state: see
# bin/entry-points.json); its bundle was built above. `state seed` loads the example desired state.
ENTRYPOINT ["node", "/app/bin/app.cjs"]
CMD ["worker"]
