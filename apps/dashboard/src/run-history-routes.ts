import { Router, type Response } from 'express';
import type { HostStatus, Run } from '@simplecm/domain';
import type { Page, RunHost, RunLaunch } from '@simplecm/store';
import type { LiveOperation, RunProgressSnapshot } from '@simplecm/queue';
import type { DashboardConfig } from './dashboard-options';
import type { DashboardData } from './dashboard-data';
import type { SafeHtml } from './html';
import { HttpError } from './http-error';
import { hostHistoryPage } from './pages/host-history-page';
import { hostRunPage } from './pages/host-run-page';
import type { PageContext } from './pages/layout';
import type { RunsFilter } from './pages/links';
import { runPage } from './pages/run-page';
import { runsPage } from './pages/runs-page';
import {
  hostParamsSchema,
  hostQuerySchema,
  hostSearchSchema,
  liveQuerySchema,
  parseInput,
  runHostParamsSchema,
  runParamsSchema,
  runQuerySchema,
  runsQuerySchema,
} from './params';
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

/** The JSON of `/api/runs/:runId/live`, read by assets/live.js. */
export interface LiveOutputJson {
  readonly runStatus: Run['status'];
  /** Operations as workers finished them, oldest first (of `host` only when asked). */
  readonly entries: ReadonlyArray<LiveOperation & { readonly id: string }>;
  /** The `after` of the next request. */
  readonly last: string;
  /** More entries are waiting: ask again at once. */
  readonly more: boolean;
  /** With `host`: whether the host's result is recorded (the host page then reloads). */
  readonly hostRecorded?: boolean;
}

/** Live entries read per request, at most. */
const LIVE_READ_COUNT = 500;

/** Whether a run passes the runs list's filters (`who` needs the run's launch). */
export function matchesRunsFilter(run: Run, launchedBy: string | undefined, f: RunsFilter): boolean {
  if (f.status === 'running' && run.status !== 'running') return false;
  if (f.status === 'finished' && run.status !== 'finished') return false;
  if (f.status === 'failed' && run.counts.failed + run.counts.unreachable === 0) return false;
  if (f.mode && run.mode !== f.mode) return false;
  if (f.target && !run.target.toLowerCase().includes(f.target.toLowerCase())) return false;
  if (f.who && (launchedBy ?? 'cli').toLowerCase() !== f.who.toLowerCase()) return false;
  const day = run.createdAt.toISOString().slice(0, 10);
  if (f.from && day < f.from) return false;
  if (f.to && day > f.to) return false;
  return true;
}

/** Runs looked at, at most, to fill one filtered page of the runs list. */
const FILTER_SCAN_LIMIT = 2_000;
/** Hosts of a run looked at, at most, to fill one page filtered by name. */
const HOST_SCAN_LIMIT = 20_000;

/** Run history: `/`, `/runs/:runId`, `/runs/:runId/hosts/:hostname`, `/hosts/:hostname`, `/api/runs/:runId`. */
export function runHistoryRoutes(data: DashboardData, config: Pick<DashboardConfig, 'hostsPageSize' | 'runsPageSize'>, context: (res: Response) => PageContext): Router {
  const router = Router();
  const send = (res: Response, page: SafeHtml) => res.set('Content-Security-Policy', pageCsp()).type('html').send(page.text);

  async function findRun(runId: string): Promise<Run> {
    const run = await data.getRun(runId);
    if (!run) throw new HttpError('not-found', `No run ${runId} in this installation.`);
    return run.status === 'running' ? withLiveProgress(run, await data.readRunProgress(runId)) : run;
  }

  /** A page of the run's hosts whose names contain `name`: store pages are read until it is full. */
  async function pageHostsByName(runId: string, name: string, pageSize: number, status: HostStatus | undefined, page?: string): Promise<Page<RunHost>> {
    const needle = name.toLowerCase();
    const items: RunHost[] = [];
    let token = page;
    let scanned = 0;
    do {
      const got = await data.pageRunHosts(runId, { pageSize: Math.max(pageSize, 500), page: token, status });
      scanned += got.items.length;
      items.push(...got.items.filter((h) => h.hostname.toLowerCase().includes(needle)));
      token = got.nextPage;
    } while (token && items.length < pageSize && scanned < HOST_SCAN_LIMIT);
    // The next page starts after the last store page read (a page may hold more than pageSize matches: all shown).
    return { items, nextPage: token };
  }

  router.get('/', async (req, res) => {
    const { before, ...filter } = parseInput(runsQuerySchema, req.query, 'query');
    const size = config.runsPageSize;
    const filtered = Object.values(filter).some((v) => v !== undefined);
    // Unfiltered: one page. Filtered: older pages are read until this page is full or the scan limit.
    const shown: Run[] = [];
    const launches = new Map<string, RunLaunch>();
    let cursor = before;
    let scanned = 0;
    let more = false;
    for (;;) {
      const batch = await data.listRuns({ limit: (filtered ? 100 : size) + 1, before: cursor });
      const page = batch.slice(0, filtered ? 100 : size);
      for (const [id, l] of await data.getLaunches(page.map((r) => r.runId))) launches.set(id, l);
      for (const run of page) {
        if (shown.length === size) {
          more = true;
          break;
        }
        if (matchesRunsFilter(run, launches.get(run.runId)?.launchedBy, filter)) shown.push(run);
        cursor = run.runId;
      }
      scanned += page.length;
      if (shown.length === size) {
        more = more || batch.length > page.length;
        break;
      }
      if (batch.length <= page.length || !filtered || scanned >= FILTER_SCAN_LIMIT) {
        more = batch.length > page.length && (scanned < FILTER_SCAN_LIMIT || !filtered);
        break;
      }
    }
    const nextBefore = more ? (filtered ? cursor : shown.at(-1)?.runId) : undefined;
    send(res, runsPage(context(res), { runs: shown, launches, filter, nextBefore, before, now: new Date() }));
  });

  router.get('/runs/:runId', async (req, res) => {
    const { runId } = parseInput(runParamsSchema, req.params, 'path');
    const query = parseInput(runQuerySchema, req.query, 'query');
    const run = await findRun(runId);
    const pageSize = query.size ?? config.hostsPageSize;
    const hosts = query.name ? await pageHostsByName(runId, query.name, pageSize, query.status, query.page) : await data.pageRunHosts(runId, { pageSize, page: query.page, status: query.status });
    const [launches, revision] = await Promise.all([data.getLaunches([runId]), run.stateRevision ? data.getStateRevision(run.stateRevision) : undefined]);
    send(res, runPage(context(res), { run, hosts, status: query.status, name: query.name, launch: launches.get(runId), revision, page: query.page, n: query.n ?? 1, size: query.size, now: new Date() }));
  });

  router.get('/runs/:runId/hosts/:hostname', async (req, res) => {
    const { runId, hostname } = parseInput(runHostParamsSchema, req.params, 'path');
    const run = await findRun(runId);
    const [operations, line] = await Promise.all([data.getOperationResults(runId, hostname), data.getRunHost(runId, hostname)]);
    // While the run goes on, a host without results yet shows its operations as they finish.
    if (operations.length === 0 && run.status !== 'running') {
      throw new HttpError('not-found', `Host ${hostname} has no results in run ${runId}.`);
    }
    send(res, hostRunPage(context(res), { run, hostname, operations, worker: line?.worker, cause: line?.cause ?? undefined }));
  });

  // The host search box in the top bar.
  router.get('/hosts', (req, res) => {
    const { hostname } = parseInput(hostSearchSchema, req.query, 'query');
    res.redirect(303, context(res).links.host(hostname));
  });

  router.get('/hosts/:hostname', async (req, res) => {
    const { hostname } = parseInput(hostParamsSchema, req.params, 'path');
    const query = parseInput(hostQuerySchema, req.query, 'query');
    const [history, host, operations, revision, drift] = await Promise.all([
      data.pageHostHistory(hostname, { pageSize: config.runsPageSize, page: query.page }),
      data.getHost(hostname),
      data.getOperations(hostname),
      data.latestStateRevision(),
      data.getHostDrift(hostname),
    ]);
    send(res, hostHistoryPage(context(res), { hostname, history, page: query.page, n: query.n ?? 1, desired: { host, operations, revision }, drift }));
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

  router.get('/api/runs/:runId/live', async (req, res) => {
    const { runId } = parseInput(runParamsSchema, req.params, 'path');
    const { after, host } = parseInput(liveQuerySchema, req.query, 'query');
    const [run, read] = await Promise.all([data.getRun(runId), data.readLiveOutput(runId, { after, count: LIVE_READ_COUNT })]);
    if (!run) throw new HttpError('not-found', `No run ${runId} in this installation.`);
    const entries = read.entries.filter((e) => host === undefined || e.operation.hostname === host).map((e) => ({ id: e.id, ...e.operation }));
    const body: LiveOutputJson = {
      runStatus: run.status,
      entries,
      last: read.last,
      more: read.more,
      hostRecorded: host === undefined ? undefined : (await data.getRunHost(runId, host)) !== undefined,
    };
    res.json(body);
  });

  return router;
}
