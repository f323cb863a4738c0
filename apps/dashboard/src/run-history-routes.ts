import { Router, type Response } from 'express';
import type { Run } from '@simplecm/domain';
import type { RunProgressSnapshot } from '@simplecm/queue';
import type { Assets } from './assets';
import type { DashboardConfig } from './dashboard-options';
import type { DashboardData } from './dashboard-data';
import type { SafeHtml } from './html';
import { HttpError } from './http-error';
import { hostHistoryPage } from './pages/host-history-page';
import { hostRunPage } from './pages/host-run-page';
import type { PageContext } from './pages/layout';
import { links } from './pages/links';
import { runPage } from './pages/run-page';
import { runsPage } from './pages/runs-page';
import {
  hostParamsSchema,
  hostQuerySchema,
  hostSearchSchema,
  parseInput,
  runHostParamsSchema,
  runParamsSchema,
  runQuerySchema,
  runsQuerySchema,
} from './params';
import type { AuthenticatedLocals } from './require-login';
import { pageCsp } from './security-headers';

/** The run as Cassandra has it, moved forward by Redis' live count while results are being written. */
export function withLiveProgress(run: Run, live: RunProgressSnapshot): Run {
  if (run.status !== 'running' || live.hostsDone <= run.hostsDone) return run;
  return { ...run, hostsDone: Math.min(live.hostsDone, run.hostCount), counts: live.counts };
}

/** The JSON of `/api/runs/:runId`, read by assets/live.js. */
export interface RunProgressJson {
  readonly runId: string;
  readonly mode: string;
  readonly target: string;
  readonly status: Run['status'];
  readonly hostCount: number;
  readonly hostsDone: number;
  readonly counts: Run['counts'];
  readonly createdAt: string;
  readonly finishedAt: string | null;
  /** The state revision the run converged, null when none. */
  readonly stateRevision: string | null;
}

/** Run history: `/`, `/runs/:runId`, `/runs/:runId/hosts/:hostname`, `/hosts/:hostname`, `/api/runs/:runId`. */
export function runHistoryRoutes(data: DashboardData, config: Pick<DashboardConfig, 'hostsPageSize' | 'runsPageSize'>, assets: Assets): Router {
  const router = Router();
  const context = (res: Response): PageContext => ({ user: (res.locals as AuthenticatedLocals).user, assets });
  const send = (res: Response, page: SafeHtml) => res.set('Content-Security-Policy', pageCsp()).type('html').send(page.text);

  async function findRun(runId: string): Promise<Run> {
    const run = await data.getRun(runId);
    if (!run) throw new HttpError('not-found', `No run ${runId} in this installation.`);
    return run.status === 'running' ? withLiveProgress(run, await data.readRunProgress(runId)) : run;
  }

  router.get('/', async (req, res) => {
    const query = parseInput(runsQuerySchema, req.query, 'query');
    const size = config.runsPageSize;
    const runs = await data.listRuns({ limit: size + 1, before: query.before });
    const shown = runs.slice(0, size);
    send(res, runsPage(context(res), { runs: shown, nextBefore: runs.length > size ? shown.at(-1)?.runId : undefined, before: query.before, now: new Date() }));
  });

  router.get('/runs/:runId', async (req, res) => {
    const { runId } = parseInput(runParamsSchema, req.params, 'path');
    const query = parseInput(runQuerySchema, req.query, 'query');
    const run = await findRun(runId);
    const hosts = await data.pageRunHosts(runId, { pageSize: query.size ?? config.hostsPageSize, page: query.page, status: query.status });
    send(res, runPage(context(res), { run, hosts, status: query.status, page: query.page, n: query.n ?? 1, size: query.size, now: new Date() }));
  });

  router.get('/runs/:runId/hosts/:hostname', async (req, res) => {
    const { runId, hostname } = parseInput(runHostParamsSchema, req.params, 'path');
    const run = await findRun(runId);
    const [operations, line] = await Promise.all([data.getOperationResults(runId, hostname), data.getRunHost(runId, hostname)]);
    if (operations.length === 0) {
      throw new HttpError('not-found', `Host ${hostname} has no results in run ${runId}${run.status === 'running' ? ' yet: it may still be running' : ''}.`);
    }
    send(res, hostRunPage(context(res), { run, hostname, operations, worker: line?.worker, cause: line?.cause ?? undefined }));
  });

  // The host search box in the top bar.
  router.get('/hosts', (req, res) => {
    const { hostname } = parseInput(hostSearchSchema, req.query, 'query');
    res.redirect(303, links.host(hostname));
  });

  router.get('/hosts/:hostname', async (req, res) => {
    const { hostname } = parseInput(hostParamsSchema, req.params, 'path');
    const query = parseInput(hostQuerySchema, req.query, 'query');
    const history = await data.pageHostHistory(hostname, { pageSize: config.runsPageSize, page: query.page });
    send(res, hostHistoryPage(context(res), { hostname, history, page: query.page, n: query.n ?? 1 }));
  });

  router.get('/api/runs/:runId', async (req, res) => {
    const { runId } = parseInput(runParamsSchema, req.params, 'path');
    const [run, live] = await Promise.all([data.getRun(runId), data.readRunProgress(runId)]);
    if (!run) throw new HttpError('not-found', `No run ${runId} in this installation.`);
    const merged = withLiveProgress(run, live);
    const body: RunProgressJson = {
      runId: merged.runId,
      mode: merged.mode,
      target: merged.target,
      status: merged.status,
      hostCount: merged.hostCount,
      hostsDone: merged.hostsDone,
      counts: merged.counts,
      createdAt: merged.createdAt.toISOString(),
      finishedAt: merged.finishedAt?.toISOString() ?? null,
      stateRevision: merged.stateRevision,
    };
    res.json(body);
  });

  return router;
}
