import { runRequestSchema } from '@simplecm/queue';
import { DASHBOARD_RUN_DEFAULTS, launchRunRequest, launchTarget, relaunchRunRequest } from '../launch-run-request';

const by = { user: 'otto', address: '127.0.0.1' };
const stamp = { requestId: '5b1f0c4e-8a52-4d1e-9a57-0c2b7f6d1e90', now: 1_764_400_000_000 };
const runId = 'e1270960-caf1-11f0-9d7b-0b4a1c2d3e4f';

describe('dashboard launch → run request', () => {
  it('`all` is every host; anything else is a host pattern as simplecm run --limit takes it', () => {
    expect(launchTarget('all')).toEqual({ kind: 'all' });
    expect(launchTarget(' all ')).toEqual({ kind: 'all' });
    expect(launchTarget('web:&eu:!web3')).toEqual({ kind: 'pattern', pattern: 'web:&eu:!web3' });
    expect(launchTarget('host1,host2')).toEqual({ kind: 'pattern', pattern: 'host1,host2' });
  });

  it('maps mode, keep going and tags, names the user as the source, and uses the fresh request id', () => {
    const request = launchRunRequest({ target: 'group:web', check: true, diff: true, keepGoing: true, tags: ['config', 'config', 'pkg'] }, by, stamp);
    expect(request).toMatchObject({
      requestId: stamp.requestId,
      target: { kind: 'pattern', pattern: 'group:web' },
      options: { mode: 'check', keepGoing: true, operationTimeoutSeconds: DASHBOARD_RUN_DEFAULTS.operationTimeoutSeconds },
      selection: { tags: ['config', 'pkg'] },
      connectAttempts: DASHBOARD_RUN_DEFAULTS.connectAttempts,
      source: 'dashboard:otto',
      submittedAt: stamp.now,
    });
    expect(request.rerunFailed).toBeUndefined();
    expect(request.runId).toBeUndefined();
    // What a master parses it with.
    expect(runRequestSchema.safeParse(JSON.parse(JSON.stringify(request))).success).toBe(true);
  });

  it('apply without keep going and no tags selects every operation', () => {
    const request = launchRunRequest({ target: 'all', check: false, diff: false, keepGoing: false, tags: [] }, by, stamp);
    expect(request).toMatchObject({ target: { kind: 'all' }, options: { mode: 'apply', keepGoing: false } });
    expect(request.selection.tags).toBeUndefined();
  });

  it('a relaunch is a rerun of the failed hosts of the run, in its mode', () => {
    const request = relaunchRunRequest(runId, 'check', by, stamp);
    expect(request).toMatchObject({ target: { kind: 'all' }, rerunFailed: runId, options: { mode: 'check' }, source: 'dashboard:otto', requestId: stamp.requestId });
    expect(request.runId).toBeUndefined();
  });

  it('refuses what a master would refuse: a request id or a source out of bounds', () => {
    expect(() => launchRunRequest({ target: 'all', check: false, diff: false, keepGoing: false, tags: [] }, by, { ...stamp, requestId: 'no spaces' })).toThrow();
    expect(() => relaunchRunRequest(runId, 'apply', { user: 'x'.repeat(300), address: '' }, stamp)).toThrow();
  });
});
