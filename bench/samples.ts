/** What each measured run records; the report is computed from these alone. */
export const SYSTEMS = ['simplecm', 'raw', 'lean', 'pyinfra', 'ansible'] as const;
export type SystemName = (typeof SYSTEMS)[number];
export type WorkloadState = 'cold' | 'warm';

export interface CostFigures {
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
}

/** Where SimpleCM's wall time went, from the rows the run wrote (all one machine's clock). */
export interface SimplecmPhases {
  /** enqueue spawned → its process exited (start-up, validation, run row, jobs added). */
  readonly enqueueMs: number;
  /** enqueue spawned → first host started on a worker. */
  readonly toFirstHostMs: number;
  /** first host started → last host ended (worker side). */
  readonly hostsSpanMs: number;
  /** last host ended → run finished in Cassandra (result hand-off and writes). */
  readonly resultsTailMs: number;
  /** Median per host: worker started the host → first operation started on it (render, connect, exec, driver set-up). */
  readonly hostSetupMedMs: number;
  /** Median per host: first operation started → last operation ended, on the host. */
  readonly hostOpsMedMs: number;
  /** Median per host: last operation ended → worker done with the host (frames, close). */
  readonly hostTailMedMs: number;
  /** Median per host: sum of the ten operations' own durations. */
  readonly opsSumMedMs: number;
}

export interface RunSample {
  readonly scenario: 'e2e' | 'wan' | 'scale';
  readonly hosts: number;
  readonly system: SystemName;
  /** Worker processes (SimpleCM only; 0 otherwise). */
  readonly workers: number;
  /**
   * SimpleCM run as `npm run` runs it (`app`: node on the esbuild bundles), from TypeScript by
   * tsx, or (`master`) as `app` with a resident master running, to which each spawned `enqueue`
   * (`simplecm run`) submits its run.
   */
  readonly runner?: 'app' | 'tsx' | 'master';
  readonly state: WorkloadState;
  readonly rep: number;
  readonly wallMs: number;
  /** Per role: worker (CPU summed over workers, largest peak), results, enqueue, raw, lean, pyinfra, ansible. */
  readonly costs: Record<string, CostFigures>;
  readonly phases?: SimplecmPhases;
  /** Raw bound: median per-host connect and exec times. */
  readonly rawHost?: { readonly connectMedMs: number; readonly execMedMs: number };
  /** Share of the machine's CPU that was busy during the run (all processes, all users). */
  readonly machineBusy: number;
  /** CPU seconds of the hosts (sshd, shells, scripts), Cassandra and Redis during the run. */
  readonly infra: { readonly hosts: number; readonly cassandra: number; readonly redis: number };
}

export interface EnqueueScaleSample {
  readonly hosts: number;
  readonly operations: number;
  readonly wallMs: number;
  readonly exitCode: number | string;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly loadMs?: number;
  /** spawn → first jobs added: start-up, pass one (read + validate everything), the run row. */
  readonly validateMs?: number;
  /** CPU seconds Cassandra and Redis spent during the enqueue. */
  readonly cassandraCpuSeconds: number;
  readonly redisCpuSeconds: number;
  /** Two token-ordered scans of hosts and operations, merged: the alternative read pattern. */
  readonly scanJoinMs?: number;
  readonly scanCassandraCpuSeconds?: number;
}

export interface ResultsThroughputSample {
  readonly hosts: number;
  readonly operations: number;
  /** consumer spawned → run finished. */
  readonly wallMs: number;
  /** consumer ready → run finished: what the throughput is computed over. */
  readonly writeMs: number;
  readonly opsPerSecond: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly cassandraCpuSeconds: number;
  readonly redisCpuSeconds: number;
  /** The same writes from the bench process without the queue (bench/write-path.ts). */
  writePath?: Array<{ shape: string; concurrency: number; opsPerSecond: number; cassandraCpuMsPerOp: number }>;
  /** The consumer process draining 5,000 host results at its default and a higher concurrency. */
  consumerConcurrency?: Array<{ concurrency: number; opsPerSecond: number }>;
}

export interface WorkerFootprintSample {
  readonly jobs: number;
  readonly peakConcurrent: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly idleRssMb: number;
  readonly cpuSeconds: number;
}
