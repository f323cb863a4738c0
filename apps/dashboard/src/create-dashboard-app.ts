import express, { Router, type ErrorRequestHandler, type Express, type Response } from 'express';
import type { Queue } from 'bullmq';
import { coerceError } from '@simplecm/kernel';
import { loadAssets, type Assets } from './assets';
import { auditAction } from './audit';
import { createAuthenticator, XSRF_COOKIE } from './authenticator';
import { controlRoutes } from './control-routes';
import { csrfGuard } from './csrf-guard';
import { driftRoutes } from './drift-routes';
import type { DashboardConfig } from './dashboard-options';
import { InvalidPageTokenError, type DashboardData } from './dashboard-data';
import { HttpError } from './http-error';
import { loginRoutes } from './login-routes';
import { loginThrottle, type LoginThrottle } from './login-throttle';
import { errorPage } from './pages/error-page';
import type { PageContext } from './pages/layout';
import { createLinks } from './pages/links';
import { queueActionAudit } from './queue-audit';
import { QUEUE_BOARD_PATH, queueBoardRouter } from './queue-board';
import { requireLogin, requireRole, type AuthenticatedLocals } from './require-login';
import type { RunControl } from './run-control';
import { answerOpsRequest, type OpsEndpoints } from '@simplecm/telemetry';
import { runHistoryRoutes } from './run-history-routes';
import { pageCsp, queueBoardCsp, sameOriginGuard, securityHeaders } from './security-headers';

export interface DashboardAppDeps {
  readonly data: DashboardData;
  /** Shown in Bull Board (the hosts queues). */
  readonly queues: readonly Queue[];
  /** Bull Board shows each job's data through this (hostJobDataRedactor). @defaultValue as it is */
  readonly formatJobData?: (data: unknown) => unknown;
  /** Launch, relaunch and cancel. @defaultValue none: those controls are hidden and answer 503 */
  readonly control?: RunControl;
  readonly throttle?: LoginThrottle;
  readonly assets?: Assets;
  /** /healthz and /readyz, answered without a login (for probes). @defaultValue not served */
  readonly ops?: OpsEndpoints;
  /** Where unexpected errors go. @defaultValue console.error */
  readonly log?: (line: string) => void;
}

/**
 * The dashboard as an express app, without listening or connecting, under `config.basePath`:
 * the login routes are the only ones open; everything after `requireLogin` (assets, Bull Board,
 * run history, the JSON API, unknown paths) needs a session cookie or Basic credentials, every
 * state-changing request after it the session's CSRF token, and acting on runs the operator role.
 */
export function createDashboardApp(config: DashboardConfig, deps: DashboardAppDeps): Express {
  const assets = deps.assets ?? loadAssets();
  const log = deps.log ?? ((line: string) => console.error(line));
  const auth = createAuthenticator(config);
  const base = config.basePath;
  const links = createLinks(base);
  const audit = auditAction({ record: (entry) => deps.data.recordAudit(entry) }, log);
  const context = (res: Response): PageContext => {
    const { identity } = res.locals as AuthenticatedLocals;
    return { user: identity.name, identity, assets, links, canControl: deps.control !== undefined };
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');

  app.use(securityHeaders());
  app.use(sameOriginGuard());
  const ops = deps.ops;
  if (ops) {
    // Probes carry no credentials: health and readiness are open; /metrics is on its own port.
    app.get(['/healthz', '/readyz'], (req, res, next) => {
      answerOpsRequest(ops, req.path, res).catch(next);
    });
  }
  const throttle = deps.throttle ?? loginThrottle({ maxFailures: config.loginMaxFailures });
  const site = Router();
  site.use(loginRoutes(auth, throttle, assets, audit, base));

  site.use(requireLogin(auth, throttle, base));
  site.use(csrfGuard(auth, audit));

  site.get('/assets/:name', (req, res, next) => {
    const asset = assets.byName(req.params.name);
    if (!asset) return next();
    res.set('Cache-Control', 'private, max-age=86400').type(asset.contentType).send(asset.body);
  });
  site.use(
    QUEUE_BOARD_PATH,
    (req, res, next) => {
      res.set('Content-Security-Policy', queueBoardCsp());
      // Bull Board's client sends this cookie back as X-XSRF-TOKEN on its writes.
      const { identity } = res.locals as AuthenticatedLocals;
      if (req.method === 'GET') res.append('Set-Cookie', `${XSRF_COOKIE}=${identity.csrfToken}; Path=${base}${QUEUE_BOARD_PATH}; SameSite=Strict${config.secureCookie ? '; Secure' : ''}`);
      if (req.method === 'GET' || req.method === 'HEAD') return next();
      requireRole('operator')(req, res, next);
    },
    queueActionAudit(audit),
    queueBoardRouter(deps.queues, { actions: config.queueActions, basePath: base, formatData: deps.formatJobData }),
  );
  site.use(controlRoutes({ data: deps.data, control: deps.control, audit, context }));
  site.use(runHistoryRoutes(deps.data, config, context));
  site.use(driftRoutes(deps.data, context));

  site.use((req, _res, next) => next(new HttpError('not-found', `Nothing at ${req.originalUrl.split('?')[0]}.`)));
  app.use(base || '/', site);
  if (base) app.use((req, _res, next) => next(new HttpError('not-found', `Nothing at ${req.path}: the dashboard is under ${base}/.`)));

  const onError: ErrorRequestHandler = (raw, req, res, _next) => {
    let error = coerceError(raw);
    if (error instanceof InvalidPageTokenError) error = new HttpError('bad-request', error.message, { cause: error });
    // express' body parsers and router raise errors that carry an HTTP status of their own.
    const own = (raw as { status?: unknown }).status;
    const status = error instanceof HttpError ? error.status : typeof own === 'number' && own >= 400 && own < 500 ? own : 500;
    if (status >= 500 && status !== 503) log(`dashboard: ${req.method} ${req.originalUrl}: ${error.stack ?? error.message}`);
    const message = status >= 500 && status !== 503 ? `The dashboard could not answer: ${error.message}` : error.message;
    if (res.headersSent) return;
    if (req.path.startsWith(`${base}/api/`) || !(req.get('accept') ?? '').includes('text/html')) {
      res.status(status).json({ error: message });
      return;
    }
    if ((res.locals as Partial<AuthenticatedLocals>).identity === undefined) {
      res.status(status).type('text/plain').send(`${message}\n`);
      return;
    }
    res.status(status).set('Content-Security-Policy', pageCsp()).type('html').send(errorPage(context(res), status, message).text);
  };
  app.use(onError);
  return app;
}
