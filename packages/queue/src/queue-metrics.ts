import type { Queue } from 'bullmq';
import type { RedisConfig } from '@simplecm/config';
import { redisConnection } from './connection';
import { HOSTS_QUEUE } from './names';
import { partitionOfQueue, partitionQueues, queuePartitionPrefixes } from './queue-partitions';
import { resultStreamMetrics } from './result-stream';

/**
 * BullMQ's own Prometheus export of several queues (`bullmq_job_count{queue, state}`: jobs
 * waiting, active, delayed, completed, failed … per queue) as one text, followed by `more`
 * texts in the same format (the result streams' backlog, resultStreamMetrics). Each export
 * repeats the `# HELP` / `# TYPE` lines, which Prometheus refuses twice: they are kept once.
 * Queues of one name (one per queue partition, in partition order) get a `partition` label.
 */
export async function exportQueueMetrics(queues: readonly Queue[], more: readonly Promise<string>[] = []): Promise<string> {
  const seen = new Set<string>();
  const labels = (q: Queue) => {
    const partition = partitionOfQueue(queues, q);
    return partition === undefined ? undefined : { partition: String(partition) };
  };
  const lines = (await Promise.all([...queues.map((q) => q.exportPrometheusMetrics(labels(q))), ...more])).join('\n').split('\n');
  return `${lines.filter((line) => !line.startsWith('#') || (!seen.has(line) && seen.add(line))).join('\n')}\n`;
}

/** The depths of the hosts queues and the result streams, for a process's /metrics (worker, results consumer). */
export interface QueueDepths {
  /** The export of the hosts queues and the result streams' backlog (see exportQueueMetrics); rejects when Redis does not answer within the timeout. */
  metrics(): Promise<string>;
  /** Drops the connection at once (never waits for a Redis that is down). Safe to call twice. */
  close(): void;
}

/**
 * A connection of its own and the hosts queues, opened on the first scrape: a process that is
 * never scraped opens nothing. A scrape that Redis does not answer within `timeoutMs` (default
 * 2 s) rejects, so /metrics still answers with the process's own metrics during an outage.
 */
export function queueDepths(config: RedisConfig, { timeoutMs = 2_000 }: { timeoutMs?: number } = {}): QueueDepths {
  let opened: { readonly redis: ReturnType<typeof redisConnection>; readonly queues: Queue[] } | undefined;
  let closed = false;
  return {
    async metrics() {
      if (closed) throw new Error('queue depths: closed');
      if (opened === undefined) {
        const redis = redisConnection(config);
        // Outages are the process's own outage reporter's to log; this one only fails its scrape.
        redis.on('error', () => undefined);
        opened = { redis, queues: partitionQueues(redis, config, HOSTS_QUEUE) };
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`queue depths: Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([exportQueueMetrics(opened.queues, [resultStreamMetrics(opened.redis, queuePartitionPrefixes(config))]), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      // disconnect, not the queues' close: that waits for a connection while Redis is down.
      opened?.redis.disconnect();
    },
  };
}
