import express, { Router } from 'express';
import { z } from 'zod';
import type { Assets } from './assets';
import type { AuditAction } from './audit';
import type { Authenticator } from './authenticator';
import type { LoginThrottle } from './login-throttle';
import { loginPage } from './pages/login-page';
import { clientAddress } from './require-login';
import { pageCsp } from './security-headers';

const loginFormSchema = z.object({
  username: z.string().max(1024).default(''),
  password: z.string().max(4096).default(''),
  next: z.string().max(2048).optional(),
});

/**
 * Where to go after logging in: a path on this site under the base path only (no `//host`, no
 * scheme), else the base path's root.
 */
export function safeNext(next: unknown, basePath = ''): string {
  const home = `${basePath}/`;
  if (typeof next !== 'string' || !/^\/(?![/\\])[\x21-\x7e]*$/.test(next)) return home;
  if (basePath && next !== basePath && !next.startsWith(home)) return home;
  const rest = next.slice(basePath.length);
  if (rest.startsWith('/login') || rest.startsWith('/logout')) return home;
  return next;
}

/**
 * `GET /login`, `POST /login`, `POST /logout`: the only routes served without a session. Log-in
 * needs no CSRF token (there is no session yet; the same-origin guard refuses it cross-site);
 * log-out checks the session's token when there is a session.
 */
export function loginRoutes(auth: Authenticator, throttle: LoginThrottle, assets: Assets, audit: AuditAction, basePath: string): Router {
  const router = Router();
  const send = (res: express.Response, status: number, next: string, error?: string) => {
    res.status(status).set('Content-Security-Policy', pageCsp({ inlineStyleHash: assets.css.cspHash })).type('html').send(loginPage(assets, { next, error, basePath }).text);
  };
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 });

  router.get('/login', (req, res) => {
    const next = safeNext(req.query.next, basePath);
    if (auth.fromSession(req.get('cookie')) !== undefined) return res.redirect(303, next);
    send(res, 200, next);
  });

  router.post('/login', form, (req, res, fail) => {
    void (async () => {
      const parsed = loginFormSchema.safeParse(req.body ?? {});
      const next = safeNext(parsed.success ? parsed.data.next : undefined, basePath);
      const attempt = { user: parsed.success ? parsed.data.username : '', address: clientAddress(req) };
      const wait = throttle.retryAfterMs(attempt);
      if (wait > 0) {
        await audit(req, { actor: attempt.user, action: 'login-failed', outcome: 'refused', detail: 'locked out: too many failed logins' });
        res.set('Retry-After', String(Math.ceil(wait / 1000)));
        return send(res, 429, next, `Too many failed logins for this user from this address. Try again in ${Math.ceil(wait / 60_000)} min.`);
      }
      const user = parsed.success ? await auth.checkCredentials(parsed.data.username, parsed.data.password) : undefined;
      if (!user) {
        throttle.failed(attempt);
        await audit(req, { actor: attempt.user, action: 'login-failed', outcome: 'refused', detail: 'wrong user name or password' });
        return send(res, 401, next, 'Wrong user name or password.');
      }
      throttle.succeeded(attempt);
      await audit(req, { actor: user.name, action: 'login', outcome: 'ok', detail: `role ${user.role}` });
      res.set('Set-Cookie', auth.sessionCookie(user));
      res.redirect(303, next);
    })().catch(fail);
  });

  router.post('/logout', form, (req, res, fail) => {
    const identity = auth.fromSession(req.get('cookie'));
    const token = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (identity && !auth.checkCsrf(identity, typeof token === 'string' ? token : req.get('x-csrf-token'))) {
      res.status(403).type('text/plain').send('log out: missing or wrong CSRF token; reload the page and try again\n');
      return;
    }
    void (async () => {
      if (identity) await audit(req, { actor: identity.name, action: 'logout', outcome: 'ok' });
      res.set('Set-Cookie', auth.clearedCookie());
      res.redirect(303, `${basePath}/login`);
    })().catch(fail);
  });

  return router;
}
