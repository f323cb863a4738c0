import { ConfigError } from '@simplecm/config';
import { compileEnqueueOptions } from '../enqueue-options';

describe('enqueue flags', () => {
  it('defaults to an apply of every host', () => {
    expect(compileEnqueueOptions([], {})).toEqual({
      target: { kind: 'all' },
      run: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 },
      runId: undefined,
      runKey: undefined,
      connectAttempts: 3,
      batchSize: 200,
      batchPauseMs: 0,
      wait: false,
      modulesDir: undefined,
      selection: { tags: undefined, skipTags: undefined },
    });
  });

  it('selects operations by tags and skip-tags (deduplicated)', () => {
    expect(compileEnqueueOptions(['--tags', 'web, config,web', '--skip-tags', 'slow'], {}).selection).toEqual({ tags: ['web', 'config'], skipTags: ['slow'] });
  });

  it('targets hosts (deduplicated) or a group, in check mode', () => {
    expect(compileEnqueueOptions(['--hosts', 'h1, h2,h1', '--check', '--keep-going'], {})).toMatchObject({
      target: { kind: 'hosts', hosts: ['h1', 'h2'] },
      run: { mode: 'check', keepGoing: true },
    });
    expect(compileEnqueueOptions(['--group', 'web'], {}).target).toEqual({ kind: 'group', group: 'web' });
  });

  it.each([
    [['--hosts', 'a b'], /--hosts/],
    [['--hosts', 'h1', '--group', 'g'], /--hosts and --group/],
    [['--operation-timeout', '0'], /--operation-timeout/],
    [['--run-id', 'not-a-run'], /--run-id/],
    [['--bogus'], /bogus/],
    [['--tags', 'a b'], /--tags/],
    [['--skip-tags', ','], /--skip-tags/],
  ])('rejects %j naming the flag', (argv, message) => {
    expect(() => compileEnqueueOptions(argv, {})).toThrow(ConfigError);
    expect(() => compileEnqueueOptions(argv, {})).toThrow(message);
  });
});
