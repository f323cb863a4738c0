import { ConfigError } from '@simplecm/config';
import { compileResultsOptions } from '../results-options';

describe('results consumer options', () => {
  it('defaults to a 0.5 s … 5 s capped retry', () => {
    expect(compileResultsOptions([], {})).toEqual({
      concurrency: 256,
      retryDelayMs: 500,
      retryMaxDelayMs: 5_000,
      reconnectIntervalMs: 2_000,
      lockDurationMs: 30_000,
      stalledIntervalMs: 15_000,
      batchHosts: 16,
      batchBytes: 40_960,
      resultKeyFile: '/etc/simple-cm/result.key',
      metricsHost: '127.0.0.1',
      heapGrowthPercent: 50,
    });
  });

  it('takes flags over the environment', () => {
    const options = compileResultsOptions(['--retry-max-delay', '2000'], { SIMPLECM_RESULTS_RETRY_MAX_DELAY_MS: '9000', SIMPLECM_RESULTS_RETRY_DELAY_MS: '100' });
    expect(options).toMatchObject({ retryDelayMs: 100, retryMaxDelayMs: 2_000 });
  });

  it('refuses a lock duration not above the retry cap (a result between two retries would be claimed by another consumer)', () => {
    expect(() => compileResultsOptions(['--retry-max-delay', '30000'], {})).toThrow(/--lock-duration \(30000\) must be above --retry-max-delay \(30000\)/);
    expect(() => compileResultsOptions(['--lock-duration', '1000'], {})).toThrow(ConfigError);
    expect(compileResultsOptions(['--lock-duration', '1000', '--retry-max-delay', '300', '--retry-delay', '50'], {})).toMatchObject({ lockDurationMs: 1000, retryMaxDelayMs: 300 });
  });

  it('refuses a cap below the first delay', () => {
    expect(() => compileResultsOptions(['--retry-delay', '3000', '--retry-max-delay', '1000'], {})).toThrow(ConfigError);
  });

  it('takes batch limits from flags or the environment', () => {
    expect(compileResultsOptions(['--batch-hosts', '4'], { SIMPLECM_RESULTS_BATCH_BYTES: '8192' })).toMatchObject({ batchHosts: 4, batchBytes: 8_192 });
    expect(() => compileResultsOptions(['--batch-hosts', '0'], {})).toThrow(ConfigError);
  });
});
