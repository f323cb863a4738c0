import type { Request, RequestHandler } from 'express';
import type { Authenticator } from './authenticator';

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

/**
 * Lets through requests with a valid session cookie or HTTP Basic credentials; answers every
 * other one without data: page navigations are sent to the login form, the rest get a 401.
 */
export function requireLogin(auth: Authenticator): RequestHandler {
  return (req, res, next) => {
    const user = auth.authenticate({ cookie: req.get('cookie'), authorization: req.get('authorization') });
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
