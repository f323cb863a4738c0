import type { Request, RequestHandler } from 'express';
import { parseBasicAuth, type Authenticator } from './authenticator';
import type { LoginThrottle } from './login-throttle';

/** `res.locals.user` once a request has passed {@link requireLogin}. */
export interface AuthenticatedLocals {
  user: string;
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
export function requireLogin(auth: Authenticator, throttle: LoginThrottle): RequestHandler {
  return (req, res, next) => {
    let user = auth.authenticate({ cookie: req.get('cookie') });
    const basic = user === undefined ? parseBasicAuth(req.get('authorization')) : undefined;
    if (basic) {
      const attempt = { user: basic.user, address: clientAddress(req) };
      const wait = throttle.retryAfterMs(attempt);
      if (wait > 0) {
        res.status(429).set('Retry-After', String(Math.ceil(wait / 1000))).type('text/plain').send('too many failed logins: try again later\n');
        return;
      }
      if (auth.checkCredentials(basic.user, basic.password)) {
        throttle.succeeded(attempt);
        user = basic.user;
      } else {
        throttle.failed(attempt);
      }
    }
    if (user !== undefined) {
      (res.locals as AuthenticatedLocals).user = user;
      return next();
    }
    const navigation = (req.method === 'GET' || req.method === 'HEAD') && (req.get('accept') ?? '').includes('text/html');
    if (navigation) {
      // No body: the default one would echo the URL back.
      res.status(303).location(`/login?${new URLSearchParams({ next: req.originalUrl })}`).end();
      return;
    }
    if (!fromBrowserScript(req)) res.set('WWW-Authenticate', 'Basic realm="SimpleCM dashboard", charset="UTF-8"');
    res.status(401).type('text/plain').send('authentication required: log in at /login\n');
  };
}
