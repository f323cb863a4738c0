import express, { Router } from 'express';
import { z } from 'zod';
import type { Assets } from './assets';
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

/** Where to go after logging in: a path on this site only (no `//host`, no scheme), else `/`. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !/^\/(?![/\\])[\x21-\x7e]*$/.test(next)) return '/';
  if (next.startsWith('/login') || next.startsWith('/logout')) return '/';
  return next;
}

/** `GET /login`, `POST /login`, `POST /logout`: the only routes served without a session. */
export function loginRoutes(auth: Authenticator, throttle: LoginThrottle, assets: Assets): Router {
  const router = Router();
  const send = (res: express.Response, status: number, next: string, error?: string) => {
    res.status(status).set('Content-Security-Policy', pageCsp({ inlineStyleHash: assets.css.cspHash })).type('html').send(loginPage(assets, { next, error }).text);
  };

  router.get('/login', (req, res) => {
    const next = safeNext(req.query.next);
    if (auth.authenticate({ cookie: req.get('cookie') }) !== undefined) return res.redirect(303, next);
    send(res, 200, next);
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 }), (req, res) => {
    const form = loginFormSchema.safeParse(req.body ?? {});
    const next = safeNext(form.success ? form.data.next : undefined);
    const attempt = { user: form.success ? form.data.username : '', address: clientAddress(req) };
    const wait = throttle.retryAfterMs(attempt);
    if (wait > 0) {
      res.set('Retry-After', String(Math.ceil(wait / 1000)));
      return send(res, 429, next, `Too many failed logins for this user from this address. Try again in ${Math.ceil(wait / 60_000)} min.`);
    }
    if (!form.success || !auth.checkCredentials(form.data.username, form.data.password)) {
      throttle.failed(attempt);
      return send(res, 401, next, 'Wrong user name or password.');
    }
    throttle.succeeded(attempt);
    res.set('Set-Cookie', auth.sessionCookie(form.data.username));
    res.redirect(303, next);
  });

  router.post('/logout', (_req, res) => {
    res.set('Set-Cookie', auth.clearedCookie());
    res.redirect(303, '/login');
  });

  return router;
}
