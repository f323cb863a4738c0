import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { errorMessage } from '@simplecm/kernel';
import type { AuditAction } from './audit';
import type { DashboardData } from './dashboard-data';
import { plural } from './format';
import { HttpError, type HttpErrorCode } from './http-error';
import { auditPage } from './pages/audit-page';
import { launchPage } from './pages/launch-page';
import type { PageContext } from './pages/layout';
import { parseInput, runIdSchema, runParamsSchema } from './params';
import { clientAddress, requireRole, type AuthenticatedLocals } from './require-login';
import { launchRequestSchema, type Launcher, type RunControl } from './run-control';
import { pageCsp } from './security-headers';

const launchFormSchema = z.object({
  target: z.string().max(10_000).default(''),
  tags: z.string().max(5_000).default(''),
  check: z.string().optional(),
  diff: z.string().optional(),
  keepGoing: z.string().optional(),
  _csrf: z.string().optional(),
});

const auditQuerySchema = z.object({ before: runIdSchema.optional() });

const AUDIT_PAGE_SIZE = 100;

/**
 * Operator routes: `/launch` (form and POST), `/runs/:runId/relaunch`, `/runs/:runId/cancel`,
 * `/audit`. Each needs the operator role (403 otherwise); the POSTs passed the CSRF guard before
 * they get here, are audited (ok, refused or failed) and record who launched the run.
 */
/** The code of a failed action: the run control's own when it gave one (HttpError), else bad request. */
function codeOf(error: unknown): HttpErrorCode {
  return error instanceof HttpError ? error.code : 'bad-request';
}

function statusOf(error: unknown): number {
  return error instanceof HttpError ? error.status : 400;
}

export function controlRoutes(deps: { data: DashboardData; control?: RunControl; audit: AuditAction; context: (res: Response) => PageContext }): Router {
  const { data, control, audit, context } = deps;
  const router = Router();
  const needsOperator = requireRole('operator');
  // A viewer's attempt to act is refused (403) and audited; a viewer opening the audit page is only refused.
  const operator: RequestHandler = (req, res, next) =>
    needsOperator(req, res, (error?: unknown) => {
      if (error === undefined || req.method !== 'POST') return next(error);
      const { identity } = res.locals as AuthenticatedLocals;
      void audit(req, { actor: identity.name, action: 'refused', subject: `${req.method} ${req.originalUrl}`, outcome: 'refused', detail: `role ${identity.role}: needs operator` }).finally(() => next(error));
    });
  const send = (res: Response, status: number, page: { text: string }) => res.status(status).set('Content-Security-Policy', pageCsp()).type('html').send(page.text);
  const launcher = (req: Request, res: Response): Launcher => ({ user: (res.locals as AuthenticatedLocals).identity.name, address: clientAddress(req) });
  const wired = (): RunControl => {
    if (!control) throw new HttpError('unavailable', 'Launching, relaunching and cancelling need a resident master: this dashboard has no run control wired.');
    return control;
  };

  // What a script needs for state-changing requests: its CSRF token (per session; per user for Basic).
  router.get('/api/session', (_req, res) => {
    const { identity } = res.locals as AuthenticatedLocals;
    res.json({ user: identity.name, role: identity.role, csrfToken: identity.csrfToken, canControl: control !== undefined });
  });

  router.get('/audit', operator, async (req, res) => {
    const { before } = parseInput(auditQuerySchema, req.query, 'query');
    const records = await data.listAudit({ limit: AUDIT_PAGE_SIZE + 1, before });
    const shown = records.slice(0, AUDIT_PAGE_SIZE);
    send(res, 200, auditPage(context(res), { records: shown, before, nextBefore: records.length > AUDIT_PAGE_SIZE ? shown.at(-1)?.eventId : undefined }));
  });

  router.get('/launch', operator, (_req, res) => {
    wired();
    send(res, 200, launchPage(context(res)));
  });

  router.post('/launch', operator, async (req, res) => {
    const runControl = wired();
    const by = launcher(req, res);
    const form = launchFormSchema.parse(req.body ?? {});
    const values = { target: form.target, tags: form.tags, check: form.check ?? '', diff: form.diff ?? '', keepGoing: form.keepGoing ?? '' };
    const parsed = launchRequestSchema.safeParse({
      target: form.target,
      tags: form.tags.split(',').map((t) => t.trim()).filter((t) => t !== ''),
      check: form.check === '1',
      diff: form.diff === '1',
      keepGoing: form.keepGoing === '1',
    });
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => i.message).join('; ');
      await audit(req, { actor: by.user, action: 'launch', subject: form.target, outcome: 'refused', detail: message });
      return send(res, 400, launchPage(context(res), { error: message, values }));
    }
    const request = parsed.data;
    const detail = `mode ${request.check ? 'check' : 'apply'}${request.diff ? ', diff' : ''}${request.keepGoing ? ', keep going' : ''}${request.tags.length ? `, tags ${request.tags.join(',')}` : ''}`;
    let launched;
    try {
      launched = await runControl.launch(request, by);
    } catch (error) {
      await audit(req, { actor: by.user, action: 'launch', subject: request.target, outcome: 'failed', detail: `${detail}: ${errorMessage(error)}` });
      // A refusal the run control qualified keeps its status (503: no resident master); others are the request's.
      return send(res, statusOf(error), launchPage(context(res), { error: `The run was not launched: ${errorMessage(error)}`, values }));
    }
    await data.recordLaunch({ runId: launched.runId, launchedBy: by.user, launchedAt: new Date(), address: by.address, relaunchOf: null });
    await audit(req, { actor: by.user, action: 'launch', subject: launched.runId, outcome: 'ok', detail: `target ${request.target}, ${detail}, ${plural(launched.hostCount, 'host')}` });
    res.redirect(303, context(res).links.run(launched.runId));
  });

  router.post('/runs/:runId/relaunch', operator, async (req, res) => {
    const runControl = wired();
    const { runId } = parseInput(runParamsSchema, req.params, 'path');
    const by = launcher(req, res);
    let launched;
    try {
      launched = await runControl.relaunchFailed(runId, by);
    } catch (error) {
      await audit(req, { actor: by.user, action: 'relaunch', subject: runId, outcome: 'failed', detail: errorMessage(error) });
      throw new HttpError(codeOf(error), `Relaunch of ${runId} failed: ${errorMessage(error)}`, { cause: error });
    }
    await data.recordLaunch({ runId: launched.runId, launchedBy: by.user, launchedAt: new Date(), address: by.address, relaunchOf: runId });
    await audit(req, { actor: by.user, action: 'relaunch', subject: runId, outcome: 'ok', detail: `new run ${launched.runId}, ${plural(launched.hostCount, 'host')}` });
    res.redirect(303, context(res).links.run(launched.runId));
  });

  router.post('/runs/:runId/cancel', operator, async (req, res) => {
    const runControl = wired();
    const { runId } = parseInput(runParamsSchema, req.params, 'path');
    const by = launcher(req, res);
    try {
      await runControl.cancel(runId, by);
    } catch (error) {
      await audit(req, { actor: by.user, action: 'cancel', subject: runId, outcome: 'failed', detail: errorMessage(error) });
      throw new HttpError(codeOf(error), `Cancelling ${runId} failed: ${errorMessage(error)}`, { cause: error });
    }
    await audit(req, { actor: by.user, action: 'cancel', subject: runId, outcome: 'ok' });
    res.redirect(303, context(res).links.run(runId));
  });

  return router;
}
