import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { DashboardConfig } from './dashboard-options';

export const SESSION_COOKIE = 'simplecm_session';

/** Who may use the dashboard, and how a request proves it: a session cookie or HTTP Basic. */
export interface Authenticator {
  /** Constant-time check of a user name and password against the configured ones. */
  checkCredentials(user: string, password: string): boolean;
  /** The user a request is authenticated as (valid session cookie, else valid Basic credentials). */
  authenticate(headers: { cookie?: string; authorization?: string }): string | undefined;
  /** A `Set-Cookie` value that logs `user` in until the session expires. */
  sessionCookie(user: string): string;
  /** A `Set-Cookie` value that removes the session. */
  clearedCookie(): string;
}

const sessionSchema = z.object({ u: z.string(), exp: z.number().int() });

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Equal-length digests compared in constant time: the comparison leaks neither content nor length. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** `Authorization: Basic base64(user:password)` → its two halves. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,4096})\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function createAuthenticator(
  config: Pick<DashboardConfig, 'user' | 'password' | 'sessionSecret' | 'sessionTtlMs' | 'secureCookie'>,
  now: () => number = Date.now,
): Authenticator {
  // The signing key depends on the password too: changing the password ends every session.
  const key = createHmac('sha256', config.sessionSecret).update(`simplecm-dashboard\0${config.user}\0${config.password}`).digest();
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  const attributes = `Path=/; HttpOnly; SameSite=Lax${config.secureCookie ? '; Secure' : ''}`;

  function checkCredentials(user: string, password: string): boolean {
    // Both comparisons always run, so timing does not tell which half was wrong.
    const userOk = sameSecret(user, config.user);
    const passwordOk = sameSecret(password, config.password);
    return userOk && passwordOk;
  }

  function sessionUser(value: string | undefined): string | undefined {
    if (!value) return undefined;
    const [payload, mac, extra] = value.split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(sign(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const session = sessionSchema.safeParse(parsed);
    if (!session.success || session.data.exp <= now() || session.data.u !== config.user) return undefined;
    return session.data.u;
  }

  return {
    checkCredentials,
    authenticate(headers) {
      const fromCookie = sessionUser(parseCookies(headers.cookie).get(SESSION_COOKIE));
      if (fromCookie) return fromCookie;
      const basic = parseBasicAuth(headers.authorization);
      return basic && checkCredentials(basic.user, basic.password) ? basic.user : undefined;
    },
    sessionCookie(user) {
      const payload = Buffer.from(JSON.stringify({ u: user, exp: now() + config.sessionTtlMs })).toString('base64url');
      return `${SESSION_COOKIE}=${payload}.${sign(payload)}; Max-Age=${Math.floor(config.sessionTtlMs / 1000)}; ${attributes}`;
    },
    clearedCookie() {
      return `${SESSION_COOKIE}=; Max-Age=0; ${attributes}`;
    },
  };
}
