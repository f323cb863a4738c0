import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectionConfig } from '@simplecm/config';
import { exportQueueMetrics, HOSTS_QUEUE, partitionQueues, queuePartitionPrefixes, redisConnection, resultStreamMetrics, runRequestSubmitter } from '@simplecm/queue';
import { connectCassandra, runStore } from '@simplecm/store';
import { loadModules, redactSensitiveAttributes, resolveModulesDir } from '@simplecm/modules';
import { closeAll, coerceError, type Releaser } from '@simplecm/kernel';
import { createProcessMetrics, startOpsServer, type OpsEndpoints } from '@simplecm/telemetry';
import { createDashboardApp } from './create-dashboard-app';
import type { DashboardConfig } from './dashboard-options';
import { dashboardData } from './dashboard-data';
import { hostJobDataRedactor } from './job-data-redactor';
import { createLimitedServer } from './http-server-limits';
import type { RunControl } from './run-control';
import { queueRunControl } from './queue-run-control';

export type DashboardState = 'listening' | 'closing' | 'closed';

export interface Dashboard {
  /** `http://127.0.0.1:3000/`: where it listens (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  readonly state: DashboardState;
  /** Stops listening and closes Redis and Cassandra. Safe to call twice. */
  close(): Promise<void>;
}

/** Whether a probe answers within READY_PROBE_MS (what /readyz reports per service). */
async function answers(probe: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_PROBE_MS);
  });
  try {
    return await Promise.race([probe.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const READY_PROBE_MS = 2_000;

function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}

/**
 * Connects to Cassandra and Redis, and serves the dashboard on `config.host:config.port`.
 * What `npm run dashboard` runs; the demo can call it too.
 */
export async function startDashboard(
  config: DashboardConfig,
  connections: ConnectionConfig,
  {
    log = (line: string) => console.error(line),
    control,
  }: {
    log?: (line: string) => void;
    /**
     * Launch, relaunch and cancel; without one those controls are hidden (see run-control.ts).
     * @defaultValue with `config.runControl`, the resident master's (queue-run-control.ts); else none
     */
    control?: RunControl;
  } = {},
): Promise<Dashboard> {
  const releasers: Releaser[] = [];
  try {
    const cassandra = await connectCassandra(connections.cassandra);
    releasers.push(() => cassandra.shutdown());
    const redis = redisConnection(connections.redis);
    releasers.push(() => redis.disconnect());
    const prefix = connections.redis.prefix;
    // One hosts queue per queue partition (K = 1: the one under the prefix). Results are not a
    // BullMQ queue (result-stream.ts): their backlog is on /metrics, not in Bull Board.
    const hostsQueue = partitionQueues(redis, connections.redis, HOSTS_QUEUE);
    const partitions = queuePartitionPrefixes(connections.redis);
    const queues = hostsQueue;
    releasers.push(() => Promise.all(queues.map((q) => q.close())));
    let runControl = control;
    if (runControl === undefined && config.runControl) {
      // QueueEvents blocks on XREAD: a connection of its own that retries forever.
      const blocking = redisConnection(connections.redis, { blocking: true });
      releasers.push(() => blocking.disconnect());
      const submitter = runRequestSubmitter({ redis, blocking }, prefix);
      releasers.push(() => submitter.close());
      runControl = queueRunControl({
        redis,
        prefix,
        submitter,
        hostsQueue,
        partitions,
        runs: runStore(cassandra, connections.cassandra.keyspace),
        bounds: { takeTimeoutMs: config.launchTakeTimeoutMs, answerTimeoutMs: config.launchAnswerTimeoutMs },
      });
    }

    const ops: OpsEndpoints = {
      registry: createProcessMetrics().registry,
      readiness: async () => ({ redis: await answers(redis.ping()), cassandra: await answers(cassandra.execute('SELECT release_version FROM system.local')) }),
      // BullMQ's own export: jobs by state (waiting, active, delayed, …) of each hosts queue, and
      // the result streams' backlog under the same gauge (queue="results": waiting = not yet
      // read, active = read and not yet written).
      extraMetrics: () => exportQueueMetrics(queues, [resultStreamMetrics(redis, partitions)]),
    };
    // The modules say which attributes are `sensitive`: shown `***` in Bull Board's job view and
    // in a host's desired state, never as they are.
    const modules = loadModules(resolveModulesDir(config.modulesDir));
    const data = dashboardData(cassandra, connections.cassandra.keyspace, redis, prefix, partitions);
    const app = createDashboardApp(config, {
      data: { ...data, getOperations: async (hostname) => (await data.getOperations(hostname)).map((op) => redactSensitiveAttributes(modules, op)) },
      queues,
      formatJobData: hostJobDataRedactor(modules),
      ops,
      log,
      control: runControl,
    });
    if (config.metricsPort !== undefined) {
      const metricsServer = await startOpsServer(ops, { host: config.metricsHost, port: config.metricsPort });
      releasers.push(() => metricsServer.close());
      log(`dashboard: metrics, /healthz and /readyz on ${metricsServer.url}`);
    }
    const server: Server = createLimitedServer(app).listen(config.port, config.host);
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(coerceError(error)))]);
    releasers.push(
      () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        }),
    );
    const port = (server.address() as AddressInfo).port;

    let state: DashboardState = 'listening';
    let closing: Promise<void> | undefined;
    return {
      url: urlOf(config.host, port),
      port,
      get state() {
        return state;
      },
      close() {
        closing ??= (async () => {
          state = 'closing';
          try {
            await closeAll(releasers);
          } finally {
            state = 'closed';
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    await closeAll(releasers).catch(() => undefined);
    throw error;
  }
}
