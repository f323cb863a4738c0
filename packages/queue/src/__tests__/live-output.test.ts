import type { Redis } from 'ioredis';
import type { OperationResult } from '@simplecm/domain';
import { LIVE_OUTPUT_CHARS, liveOutputKey, liveOutputPublisher, toLiveOperation } from '../live-output';

const op: OperationResult = { seq: 3, name: 'n', module: 'command', status: 'ok', exitCode: 0, stdout: 'out', stdoutTruncated: false, stderr: 'e'.repeat(LIVE_OUTPUT_CHARS + 1), stderrTruncated: false, changes: [], startedAt: 1, durationMs: 2 };

/** Just what the publisher calls, recorded; the integration tests (redis-acl) use the real Redis. */
function recorder(status: string) {
  const calls: unknown[][] = [];
  const redis = {
    status,
    xadd: async (...args: unknown[]) => void calls.push(['xadd', ...args]),
    expire: async (...args: unknown[]) => void calls.push(['expire', ...args]),
  };
  return { redis: redis as unknown as Redis, calls };
}

describe('live output', () => {
  it('cuts each stream to LIVE_OUTPUT_CHARS and marks it cut; keeps the rest as the result has it', () => {
    const live = toLiveOperation('web1', op);
    expect(live).toEqual({ ...op, hostname: 'web1', stderr: 'e'.repeat(LIVE_OUTPUT_CHARS), stderrTruncated: true });
  });

  it('sends the operations of a run gathered in one window as one entry, 20 at most, and renews the expiry once', async () => {
    const { redis, calls } = recorder('ready');
    const sent: Array<Error | undefined> = [];
    const publisher = liveOutputPublisher(redis, 'p', { onSent: (e) => sent.push(e) });
    for (let i = 0; i < 25; i++) publisher.publish('r1', `h${i}`, op);
    publisher.publish('r2', 'h0', op);
    await publisher.flush();
    const xadds = calls.filter((c) => c[0] === 'xadd');
    expect(xadds.map((c) => [c[1], (c.length - 6) / 2])).toEqual([[liveOutputKey('p', 'r1'), 20], [liveOutputKey('p', 'r1'), 5], [liveOutputKey('p', 'r2'), 1]]);
    expect(calls.filter((c) => c[0] === 'expire').map((c) => c[1])).toEqual([liveOutputKey('p', 'r1'), liveOutputKey('p', 'r2')]);
    publisher.publish('r1', 'h0', op);
    await publisher.flush();
    expect(calls.filter((c) => c[0] === 'expire')).toHaveLength(2); // not again within the minute
    expect(sent).toEqual([undefined, undefined]);
  });

  it('drops a window while Redis is away, and says so', async () => {
    const { redis, calls } = recorder('reconnecting');
    const sent: Array<Error | undefined> = [];
    const publisher = liveOutputPublisher(redis, 'p', { onSent: (e) => sent.push(e) });
    publisher.publish('r1', 'h0', op);
    await publisher.flush();
    expect(calls).toEqual([]);
    expect(sent.map((e) => e?.message)).toEqual(['Redis is reconnecting; 1 operation(s) not published']);
  });
});
