import express, { type RequestHandler } from 'express';
import type { AuditAction } from './audit';
import type { Authenticator } from './authenticator';
import { HttpError } from './http-error';
import type { AuthenticatedLocals } from './require-login';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Form bodies of the dashboard's own forms (launch, relaunch, cancel, log out): small, flat. */
export const formBody = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });

/** The token a request carries: `X-CSRF-Token`, Bull Board's `X-XSRF-Token`, or a form's `_csrf`. */
function tokenOf(req: express.Request): string | undefined {
  const header = req.get('x-csrf-token') ?? req.get('x-xsrf-token');
  if (header) return header;
  const body = req.body as Record<string, unknown> | undefined;
  return typeof body?._csrf === 'string' ? body._csrf : undefined;
}

/**
 * After the login check: every state-changing request must carry the session's CSRF token, else
 * 403 (and an audit line). The token is tied to the session (to the user for Basic), so a page on
 * another site cannot know it; the same-origin guard refuses cross-site requests before this.
 */
export function csrfGuard(auth: Authenticator, audit: AuditAction): RequestHandler {
  return (req, res, next) => {
    if (safeMethods.has(req.method)) return next();
    formBody(req, res, (error?: unknown) => {
      if (error) return next(error);
      const { identity } = res.locals as AuthenticatedLocals;
      if (auth.checkCsrf(identity, tokenOf(req))) return next();
      void audit(req, { actor: identity.name, action: 'refused', subject: `${req.method} ${req.originalUrl}`, outcome: 'refused', detail: 'missing or wrong CSRF token' }).finally(() =>
        next(new HttpError('forbidden', `${req.method} ${req.path}: missing or wrong CSRF token; reload the page and try again`)),
      );
    });
  };
}
