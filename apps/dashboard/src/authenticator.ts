import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { DashboardConfig } from './dashboard-options';
import { verifyPassword } from './password-hash';
import type { DashboardUser, Role } from './users';

export const SESSION_COOKIE = 'simplecm_session';
/** Not HttpOnly: Bull Board's client (axios) reads it and sends it back as X-XSRF-TOKEN. */
export const XSRF_COOKIE = 'XSRF-TOKEN';

/** Who a request is from, once authenticated, and the CSRF token its state-changing requests must carry. */
export interface Identity {
  readonly name: string;
  readonly role: Role;
  /** Per session (per user for HTTP Basic): what a form's `_csrf` field or an `X-CSRF-Token` header must hold. */
  readonly csrfToken: string;
}

/** Who may use the dashboard, and how a request proves it: a session cookie or HTTP Basic. */
export interface Authenticator {
  /** The user whose password this is; checks in (about) constant time whether or not the name exists. */
  checkCredentials(user: string, password: string): Promise<DashboardUser | undefined>;
  /** The identity of a valid, unexpired session cookie of a user still in the users list. */
  fromSession(cookieHeader: string | undefined): Identity | undefined;
  /** The identity of a user whose HTTP Basic credentials were just checked. */
  basicIdentity(user: DashboardUser): Identity;
  /** A `Set-Cookie` value that logs `user` in until the session expires. */
  sessionCookie(user: DashboardUser): string;
  /** A `Set-Cookie` value that removes the session. */
  clearedCookie(): string;
  /** Whether `given` is the CSRF token of `identity` (constant time). */
  checkCsrf(identity: Identity, given: string | undefined): boolean;
  /** The path cookies are set on: the base path, or `/`. */
  readonly cookiePath: string;
}

const sessionSchema = z.object({ u: z.string(), exp: z.number().int(), n: z.string().min(8).max(64) });

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

/** Checked for a name that is not a user, so a wrong name costs what a wrong password does. */
const DECOY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;

export function createAuthenticator(
  config: Pick<DashboardConfig, 'users' | 'sessionSecret' | 'sessionTtlMs' | 'secureCookie' | 'basePath'>,
  now: () => number = Date.now,
): Authenticator {
  const users = new Map(config.users.map((u) => [u.name, u]));
  // Each user's signing key depends on their password (hash) too: changing it ends their sessions.
  const keys = new Map(
    config.users.map((u) => {
      const secret = u.credential.kind === 'hash' ? u.credential.hash : u.credential.password;
      return [u.name, createHmac('sha256', config.sessionSecret).update(`simplecm-dashboard\0${u.name}\0${secret}`).digest()];
    }),
  );
  const mac = (user: string, payload: string) => createHmac('sha256', keys.get(user) ?? Buffer.alloc(32)).update(payload).digest('base64url');
  const cookiePath = config.basePath || '/';
  const attributes = `Path=${cookiePath}; HttpOnly; SameSite=Lax${config.secureCookie ? '; Secure' : ''}`;
  const identity = (user: DashboardUser, nonce: string): Identity => ({ name: user.name, role: user.role, csrfToken: mac(user.name, `csrf\0${nonce}`) });

  async function checkCredentials(name: string, password: string): Promise<DashboardUser | undefined> {
    const user = users.get(name);
    if (user?.credential.kind === 'password') {
      return sameSecret(password, user.credential.password) ? user : undefined;
    }
    const ok = await verifyPassword(password, user?.credential.kind === 'hash' ? user.credential.hash : DECOY_HASH);
    return ok && user ? user : undefined;
  }

  function fromSession(cookieHeader: string | undefined): Identity | undefined {
    const value = parseCookies(cookieHeader).get(SESSION_COOKIE);
    if (!value) return undefined;
    const [payload, given, extra] = value.split('.');
    if (!payload || !given || extra !== undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const session = sessionSchema.safeParse(parsed);
    if (!session.success) return undefined;
    const user = users.get(session.data.u);
    if (!user) return undefined;
    const expected = Buffer.from(mac(user.name, payload));
    const got = Buffer.from(given);
    if (got.length !== expected.length || !timingSafeEqual(got, expected) || session.data.exp <= now()) return undefined;
    return identity(user, session.data.n);
  }

  return {
    checkCredentials,
    fromSession,
    basicIdentity: (user) => identity(user, 'basic'),
    sessionCookie(user) {
      const payload = Buffer.from(JSON.stringify({ u: user.name, exp: now() + config.sessionTtlMs, n: randomBytes(16).toString('base64url') })).toString('base64url');
      return `${SESSION_COOKIE}=${payload}.${mac(user.name, payload)}; Max-Age=${Math.floor(config.sessionTtlMs / 1000)}; ${attributes}`;
    },
    clearedCookie() {
      return `${SESSION_COOKIE}=; Max-Age=0; ${attributes}`;
    },
    checkCsrf(who, given) {
      return typeof given === 'string' && given.length > 0 && sameSecret(given, who.csrfToken);
    },
    cookiePath,
  };
}
