import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus metrics of SimpleCM's long-running processes, in one registry per process
 * (each process fills the ones that concern it; the rest stay at zero). Names and meanings are
 * listed in the README ("Metrics").
 */
export interface ProcessMetrics {
  readonly registry: Registry;
  /** Hosts finished by this worker, by final status (ok, changed, failed, unreachable, rejected). */
  readonly hostsTotal: Counter<'status'>;
  /** Each operation's run time on its host, by module and status. */
  readonly operationSeconds: Histogram<'module' | 'status'>;
  /** TCP + SSH handshake time of a host connection. */
  readonly sshConnectSeconds: Histogram<never>;
  /** Host results written to Cassandra by this consumer. */
  readonly resultsWrittenTotal: Counter<never>;
  /** One Cassandra write of a group of results (batches + run progress). */
  readonly cassandraWriteSeconds: Histogram<never>;
}

const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createProcessMetrics(labels: Record<string, string> = {}): ProcessMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'simplecm_process_' });
  return {
    registry,
    hostsTotal: new Counter({ name: 'simplecm_hosts_total', help: 'Hosts finished, by final status', labelNames: ['status'], registers: [registry] }),
    operationSeconds: new Histogram({
      name: 'simplecm_operation_duration_seconds',
      help: 'Run time of one operation on one host',
      labelNames: ['module', 'status'],
      buckets: secondsBuckets,
      registers: [registry],
    }),
    sshConnectSeconds: new Histogram({ name: 'simplecm_ssh_connect_seconds', help: 'TCP + SSH handshake of one host connection', buckets: secondsBuckets, registers: [registry] }),
    resultsWrittenTotal: new Counter({ name: 'simplecm_results_written_total', help: 'Host results written to Cassandra', registers: [registry] }),
    cassandraWriteSeconds: new Histogram({
      name: 'simplecm_cassandra_write_seconds',
      help: 'One Cassandra write of a group of host results',
      buckets: secondsBuckets,
      registers: [registry],
    }),
  };
}
