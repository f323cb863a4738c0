import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Queue } from 'bullmq';
import { coerceError } from '@simplecm/kernel';
import { loadAssets, type Assets } from './assets';
import { createAuthenticator } from './authenticator';
import type { DashboardConfig } from './dashboard-options';
import { InvalidPageTokenError, type DashboardData } from './dashboard-data';
import { HttpError } from './http-error';
import { loginRoutes } from './login-routes';
import { loginThrottle, type LoginThrottle } from './login-throttle';
import { errorPage } from './pages/error-page';
import { QUEUE_BOARD_PATH, queueBoardRouter } from './queue-board';
import { requireLogin, type AuthenticatedLocals } from './require-login';
import { answerOpsRequest, type OpsEndpoints } from '@simplecm/telemetry';
import { runHistoryRoutes } from './run-history-routes';
import { pageCsp, queueBoardCsp, sameOriginGuard, securityHeaders } from './security-headers';

export interface DashboardAppDeps {
  readonly data: DashboardData;
  /** Shown in Bull Board (the hosts and results queues). */
  readonly queues: readonly Queue[];
  /** Bull Board shows each job's data through this (hostJobDataRedactor). @defaultValue as it is */
  readonly formatJobData?: (data: unknown) => unknown;
  readonly throttle?: LoginThrottle;
  readonly assets?: Assets;
  /** /healthz and /readyz, answered without a login (for probes). @defaultValue not served */
  readonly ops?: OpsEndpoints;
  /** Where unexpected errors go. @defaultValue console.error */
  readonly log?: (line: string) => void;
}

/**
 * The dashboard as an express app, without listening or connecting: the login routes are the
 * only ones open; everything after `requireLogin` (assets, Bull Board, run history, the JSON
 * API, unknown paths) needs a session cookie or Basic credentials.
 */
export function createDashboardApp(config: DashboardConfig, deps: DashboardAppDeps): Express {
  const assets = deps.assets ?? loadAssets();
  const log = deps.log ?? ((line: string) => console.error(line));
  const auth = createAuthenticator(config);
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
  app.use(loginRoutes(auth, throttle, assets));

  app.use(requireLogin(auth, throttle));

  app.get('/assets/:name', (req, res, next) => {
    const asset = assets.byName(req.params.name);
    if (!asset) return next();
    res.set('Cache-Control', 'private, max-age=86400').type(asset.contentType).send(asset.body);
  });
  app.use(
    QUEUE_BOARD_PATH,
    (_req, res, next) => {
      res.set('Content-Security-Policy', queueBoardCsp());
      next();
    },
    queueBoardRouter(deps.queues, { actions: config.queueActions, formatData: deps.formatJobData }),
  );
  app.use(runHistoryRoutes(deps.data, config, assets));

  app.use((req, _res, next) => next(new HttpError('not-found', `Nothing at ${req.path}.`)));

  const onError: ErrorRequestHandler = (raw, req, res, _next) => {
    let error = coerceError(raw);
    if (error instanceof InvalidPageTokenError) error = new HttpError('bad-request', error.message, { cause: error });
    // express' body parsers and router raise errors that carry an HTTP status of their own.
    const own = (raw as { status?: unknown }).status;
    const status = error instanceof HttpError ? error.status : typeof own === 'number' && own >= 400 && own < 500 ? own : 500;
    if (status >= 500) log(`dashboard: ${req.method} ${req.originalUrl}: ${error.stack ?? error.message}`);
    const message = status >= 500 ? `The dashboard could not answer: ${error.message}` : error.message;
    if (res.headersSent) return;
    if (req.path.startsWith('/api/') || !(req.get('accept') ?? '').includes('text/html')) {
      res.status(status).json({ error: message });
      return;
    }
    const user = (res.locals as Partial<AuthenticatedLocals>).user;
    if (user === undefined) {
      res.status(status).type('text/plain').send(`${message}\n`);
      return;
    }
    res.status(status).set('Content-Security-Policy', pageCsp()).type('html').send(errorPage({ user, assets }, status, message).text);
  };
  app.use(onError);
  return app;
}
