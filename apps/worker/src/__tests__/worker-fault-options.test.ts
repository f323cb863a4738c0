import { ConfigError } from '@simplecm/config';
import { compileWorkerOptions } from '../worker-options';

describe('worker fault-handling options', () => {
  it('defaults to a 60 s lock checked every 30 s', () => {
    expect(compileWorkerOptions([], {})).toMatchObject({ lockDurationMs: 10_000, stalledIntervalMs: 5_000, maxStalledCount: 2, busyRetryMs: 5_000, retryMaxDelayMs: 60_000, shutdownGraceMs: 30_000 });
  });

  it('takes flags over the environment', () => {
    expect(compileWorkerOptions(['--lock-duration', '2000', '--stalled-interval', '1000'], { SIMPLECM_LOCK_DURATION_MS: '9000', SIMPLECM_SHUTDOWN_GRACE_MS: '0' })).toMatchObject({
      lockDurationMs: 2_000,
      stalledIntervalMs: 1_000,
      shutdownGraceMs: 0,
    });
  });

  it('refuses a lock shorter than a second', () => {
    expect(() => compileWorkerOptions(['--lock-duration', '10'], {})).toThrow(ConfigError);
  });
});
