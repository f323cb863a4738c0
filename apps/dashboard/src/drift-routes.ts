import { Router, type Response } from 'express';
import type { DashboardData } from './dashboard-data';
import { driftPage, type DriftRow } from './pages/drift-page';
import type { PageContext } from './pages/layout';
import { driftQuerySchema, parseInput } from './params';
import { pageCsp } from './security-headers';

/** The drifted hosts whose names contain `name` (any case), each with its check run's state revision (one read per distinct run). */
export async function driftRows(data: Pick<DashboardData, 'listDrifted' | 'getRun'>, name?: string): Promise<DriftRow[]> {
  const needle = name?.toLowerCase();
  const drifted = (await data.listDrifted()).filter((d) => !needle || d.hostname.toLowerCase().includes(needle));
  const revisions = new Map<string, string | null>();
  await Promise.all([...new Set(drifted.map((d) => d.runId))].map(async (runId) => revisions.set(runId, (await data.getRun(runId))?.stateRevision ?? null)));
  return drifted.map((d) => ({ ...d, stateRevision: revisions.get(d.runId) ?? null }));
}

/** `/drift`: readable by every logged-in user. */
export function driftRoutes(data: DashboardData, context: (res: Response) => PageContext): Router {
  const router = Router();
  router.get('/drift', async (req, res) => {
    const { name } = parseInput(driftQuerySchema, req.query, 'query');
    const page = driftPage(context(res), { hosts: await driftRows(data, name), name });
    res.set('Content-Security-Policy', pageCsp()).type('html').send(page.text);
  });
  return router;
}
