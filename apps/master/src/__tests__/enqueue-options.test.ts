import { ConfigError } from '@simplecm/config';
import { compileEnqueueOptions } from '../enqueue-options';

const env = { SIMPLECM_JOB_SIGNING_KEY: '/keys/signing.pem', SIMPLECM_SEAL_PUBLIC_KEY: '/keys/seal.pem' };

describe('enqueue flags', () => {
  it('defaults to an apply of every host', () => {
    expect(compileEnqueueOptions([], env)).toEqual({
      target: { kind: 'all' },
      run: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 },
      runId: undefined,
      runKey: undefined,
      rerunFailed: undefined,
      connectTimeoutMs: 10_000,
      connectAttempts: 3,
      batchSize: 200,
      batchPauseMs: 0,
      wait: false,
      local: false,
      json: false,
      diff: false,
      modulesDir: undefined,
      signingKeyFile: '/keys/signing.pem',
      sealKeyFile: '/keys/seal.pem',
      jobTtlSeconds: 86_400,
      selection: { tags: undefined, skipTags: undefined },
    });
  });

  it('--diff waits (its diffs are shown after the run), --json alone does not', () => {
    expect(compileEnqueueOptions(['--check', '--diff'], env)).toMatchObject({ wait: true, diff: true, json: false, run: { mode: 'check' } });
    expect(compileEnqueueOptions(['--json'], env)).toMatchObject({ wait: false, json: true });
  });

  it('selects operations by tags and skip-tags (deduplicated)', () => {
    expect(compileEnqueueOptions(['--tags', 'web, config,web', '--skip-tags', 'slow'], env).selection).toEqual({ tags: ['web', 'config'], skipTags: ['slow'] });
  });

  it('targets hosts (deduplicated) or a group, in check mode', () => {
    expect(compileEnqueueOptions(['--hosts', 'h1, h2,h1', '--check', '--keep-going'], env)).toMatchObject({
      target: { kind: 'hosts', hosts: ['h1', 'h2'] },
      run: { mode: 'check', keepGoing: true },
    });
    expect(compileEnqueueOptions(['--group', 'web'], env).target).toEqual({ kind: 'group', group: 'web' });
  });

  it('targets a host pattern (--limit), refusing a bad one and suggesting a misspelt flag', () => {
    expect(compileEnqueueOptions(['--limit', 'web:&eu:!web3'], env).target).toEqual({ kind: 'pattern', pattern: 'web:&eu:!web3' });
    expect(() => compileEnqueueOptions(['--limit', 'web:&'], env)).toThrow(/--limit/);
    expect(() => compileEnqueueOptions(['--lmit', 'web'], env)).toThrow(/did you mean --limit\?/);
    expect(compileEnqueueOptions(['--connect-timeout', '3'], env).connectTimeoutMs).toBe(3000);
  });

  it.each([
    [['--hosts', 'a b'], /--hosts/],
    [['--hosts', 'h1', '--group', 'g'], /--hosts, --group, --limit and --rerun-failed/],
    [['--operation-timeout', '0'], /--operation-timeout/],
    [['--run-id', 'not-a-run'], /--run-id/],
    [['--bogus'], /bogus/],
    [['--tags', 'a b'], /--tags/],
    [['--skip-tags', ','], /--skip-tags/],
  ])('rejects %j naming the flag', (argv, message) => {
    expect(() => compileEnqueueOptions(argv, env)).toThrow(ConfigError);
    expect(() => compileEnqueueOptions(argv, env)).toThrow(message);
  });

  it('needs no signing key to compile: a run submitted to a resident master is signed there', () => {
    expect(compileEnqueueOptions([], {}).signingKeyFile).toBeUndefined();
    expect(compileEnqueueOptions(['--local'], {})).toMatchObject({ local: true, signingKeyFile: undefined });
  });

  it("compiles without the workers' seal key too: like the signing key it is checked only when planning here (master-run.ts)", () => {
    expect(compileEnqueueOptions([], { SIMPLECM_JOB_SIGNING_KEY: '/keys/signing.pem' }).sealKeyFile).toBeUndefined();
  });
});
