import type { RequestHandler } from 'express';
import type { AuditAction } from './audit';
import type { AuthenticatedLocals } from './require-login';

/** Records every Bull Board write that reached the board (after the action guard and the CSRF check), with its answer. */
export function queueActionAudit(audit: AuditAction): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    res.on('finish', () => {
      const { identity } = res.locals as AuthenticatedLocals;
      void audit(req, {
        actor: identity.name,
        action: 'queue-action',
        subject: `${req.method} ${req.path}`,
        outcome: res.statusCode < 400 ? 'ok' : res.statusCode === 403 ? 'refused' : 'failed',
        detail: `HTTP ${res.statusCode}`,
      });
    });
    next();
  };
}
