import type { RequestHandler } from 'express';
import { HttpError } from './http-error';

/** Headers for every answer: no sniffing, no framing, no caching of data by default. */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    next();
  };
}

/** CSP for the dashboard's own pages: scripts and styles from the app only, no inline code. */
export function pageCsp({ inlineStyleHash }: { inlineStyleHash?: string } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${inlineStyleHash ? `'${inlineStyleHash}'` : "'self'"}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * CSP for Bull Board's UI: its own scripts and styles (React sets inline styles), nothing from
 * elsewhere. Its page links Google Fonts; this keeps the browser from fetching them (the UI's
 * font stack falls back to system fonts), so opening the dashboard contacts no third party.
 */
export function queueBoardCsp(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
  ].join('; ');
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests sent by another site's page (CSRF): browsers say where a
 * request comes from in Sec-Fetch-Site and Origin. Requests without either (curl, scripts) pass;
 * they still need credentials.
 */
export function sameOriginGuard(): RequestHandler {
  return (req, _res, next) => {
    if (safeMethods.has(req.method)) return next();
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return next(new HttpError('forbidden', `${req.method} from another site (${site}) refused`));
    }
    const origin = req.get('origin');
    if (origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.get('host')) return next(new HttpError('forbidden', `${req.method} from origin ${origin} refused`));
    } else if (origin === 'null') {
      return next(new HttpError('forbidden', `${req.method} from an opaque origin refused`));
    }
    next();
  };
}
