import type { Request, RequestHandler } from 'express';
import { parseBasicAuth, type Authenticator, type Identity } from './authenticator';
import { HttpError } from './http-error';
import type { LoginThrottle } from './login-throttle';
import type { Role } from './users';

/** `res.locals` once a request has passed {@link requireLogin}. */
export interface AuthenticatedLocals {
  user: string;
  identity: Identity;
}

/**
 * A browser's script or sub-resource request (Sec-Fetch-Site is set by browsers only; Node's
 * fetch sends Sec-Fetch-Mode too). A Basic challenge there would pop up a password dialog.
 */
function fromBrowserScript(req: Request): boolean {
  return req.get('sec-fetch-site') !== undefined && req.get('sec-fetch-mode') !== 'navigate';
}

/** The address a request came from: the peer, or the proxy's client when `trust proxy` says so. */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/**
 * Lets through requests with a valid session cookie or HTTP Basic credentials; answers every
 * other one without data: page navigations are sent to the login form, the rest get a 401.
 * Basic credentials are throttled as the login form is (per user name and address): once a pair
 * is locked out it gets a 429 without its password being looked at.
 */
export function requireLogin(auth: Authenticator, throttle: LoginThrottle, basePath: string): RequestHandler {
  return (req, res, next) => {
    void (async () => {
      let identity = auth.fromSession(req.get('cookie'));
      const basic = identity === undefined ? parseBasicAuth(req.get('authorization')) : undefined;
      if (basic) {
        const attempt = { user: basic.user, address: clientAddress(req) };
        const wait = throttle.retryAfterMs(attempt);
        if (wait > 0) {
          res.status(429).set('Retry-After', String(Math.ceil(wait / 1000))).type('text/plain').send('too many failed logins: try again later\n');
          return;
        }
        const user = await auth.checkCredentials(basic.user, basic.password);
        if (user) {
          throttle.succeeded(attempt);
          identity = auth.basicIdentity(user);
        } else {
          throttle.failed(attempt);
        }
      }
      if (identity !== undefined) {
        Object.assign(res.locals, { user: identity.name, identity } satisfies AuthenticatedLocals);
        return next();
      }
      const navigation = (req.method === 'GET' || req.method === 'HEAD') && (req.get('accept') ?? '').includes('text/html');
      if (navigation) {
        // No body: the default one would echo the URL back.
        res.status(303).location(`${basePath}/login?${new URLSearchParams({ next: req.originalUrl })}`).end();
        return;
      }
      if (!fromBrowserScript(req)) res.set('WWW-Authenticate', 'Basic realm="SimpleCM dashboard", charset="UTF-8"');
      res.status(401).type('text/plain').send(`authentication required: log in at ${basePath}/login\n`);
    })().catch(next);
  };
}

/** 403 unless the logged-in user has `role` (operator includes viewer). */
export function requireRole(role: Role): RequestHandler {
  return (_req, res, next) => {
    const { identity } = res.locals as AuthenticatedLocals;
    if (role === 'viewer' || identity.role === 'operator') return next();
    next(new HttpError('forbidden', `${identity.name} is a ${identity.role}: this needs the ${role} role`));
  };
}
