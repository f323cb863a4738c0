# SimpleCM's processes (master, worker, results consumer, dashboard) in one image; the
# command picks the process. Multi-stage: dependencies are built (ssh2's native crypto) in the
# first stage, the runtime stage has no compiler and runs as an unprivileged user.
# Keys, known_hosts and TLS material are mounted at run time, never copied in.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
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
# The development tooling's manifest only (npm ci checks every workspace against the lock file); none of its code.
COPY tools/stack/package.json tools/stack/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY apps apps
COPY packages packages
COPY modules modules
COPY cql cql
COPY examples examples
COPY bin bin
RUN node bin/app.cjs --build

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production \
    SIMPLECM_MODULES_DIR=/app/modules \
    SIMPLECM_KEYS_DIR=/etc/simple-cm/keys \
    SIMPLECM_KNOWN_HOSTS=/etc/simple-cm/known_hosts
RUN groupadd --system simplecm && useradd --system --gid simplecm --home-dir /app --shell /usr/sbin/nologin simplecm
WORKDIR /app
COPY --from=build --chown=root:root /app /app
USER simplecm
# The command names the app (enqueue, worker, results-consumer, dashboard, read, seed: see
# bin/entry-points.json); its bundle was built above.
ENTRYPOINT ["node", "/app/bin/app.cjs"]
CMD ["worker"]
