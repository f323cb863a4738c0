import { createAuthenticator, parseBasicAuth, SESSION_COOKIE } from '../authenticator';
import { loginThrottle } from '../login-throttle';
import { safeNext } from '../login-routes';
import { hashPassword, verifyPassword } from '../password-hash';
import { parseUsersFile, type DashboardUser } from '../users';

const fallback: DashboardUser = { name: 'ops', role: 'operator', credential: { kind: 'password', password: 'a-long-enough-password' } };
const config = { users: [fallback], basePath: '', sessionSecret: 's'.repeat(40), sessionTtlMs: 60_000, secureCookie: false };
const cookieOf = (setCookie: string) => setCookie.split(';')[0] as string;
// Cheap scrypt cost for tests only: the default (N=16384) is what hash-password writes.
const cheap = { N: 1024, r: 8, p: 1 };

describe('authenticator', () => {
  let now = 1_000_000;
  const auth = createAuthenticator(config, () => now);

  it('checks both halves of the credentials', async () => {
    expect(await auth.checkCredentials('ops', 'a-long-enough-password')).toBe(fallback);
    expect(await auth.checkCredentials('ops', 'a-long-enough-passwor')).toBeUndefined();
    expect(await auth.checkCredentials('Ops', 'a-long-enough-password')).toBeUndefined();
    expect(await auth.checkCredentials('', '')).toBeUndefined();
  });

  it('issues an HttpOnly SameSite cookie that authenticates until it expires, with a CSRF token per session', () => {
    const set = auth.sessionCookie(fallback);
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Max-Age=60; Path=/; HttpOnly; SameSite=Lax$`));
    const who = auth.fromSession(`other=1; ${cookieOf(set)}`);
    expect(who).toMatchObject({ name: 'ops', role: 'operator' });
    expect(auth.checkCsrf(who!, who!.csrfToken)).toBe(true);
    expect(auth.checkCsrf(who!, undefined)).toBe(false);
    expect(auth.checkCsrf(who!, `${who!.csrfToken}x`)).toBe(false);
    const other = auth.fromSession(cookieOf(auth.sessionCookie(fallback)));
    expect(other!.csrfToken).not.toBe(who!.csrfToken);
    expect(auth.checkCsrf(other!, who!.csrfToken)).toBe(false);
    now += 61_000;
    expect(auth.fromSession(cookieOf(set))).toBeUndefined();
  });

  it('refuses a tampered, forged or foreign cookie', () => {
    const value = cookieOf(auth.sessionCookie(fallback)).slice(SESSION_COOKIE.length + 1);
    const [payload, mac] = value.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ u: 'ops', exp: now + 10 ** 9, n: 'nnnnnnnnnnnn' })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, payload, `${payload}.${mac}.x`, '', 'garbage']) {
      expect(auth.fromSession(`${SESSION_COOKIE}=${bad}`)).toBeUndefined();
    }
    const otherSecret = createAuthenticator({ ...config, sessionSecret: 't'.repeat(40) }, () => now);
    expect(otherSecret.fromSession(cookieOf(auth.sessionCookie(fallback)))).toBeUndefined();
  });

  it('ends sessions when the password changes or the user is removed', () => {
    const set = auth.sessionCookie(fallback);
    const changed = createAuthenticator({ ...config, users: [{ ...fallback, credential: { kind: 'password', password: 'another-long-password' } }] }, () => now);
    expect(changed.fromSession(cookieOf(set))).toBeUndefined();
    const removed = createAuthenticator({ ...config, users: [{ ...fallback, name: 'someone-else' }] }, () => now);
    expect(removed.fromSession(cookieOf(set))).toBeUndefined();
  });

  it('checks users from a users file against scrypt hashes, and takes the role from the file', async () => {
    const hash = await hashPassword('viewer-password-123', cheap);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(hash).not.toContain('viewer-password-123');
    expect(await verifyPassword('viewer-password-123', hash)).toBe(true);
    expect(await verifyPassword('viewer-password-124', hash)).toBe(false);
    const users = parseUsersFile(`users:\n  - name: vera\n    role: viewer\n    passwordHash: "${hash}"\n`, 'test');
    const fileAuth = createAuthenticator({ ...config, users }, () => now);
    const vera = await fileAuth.checkCredentials('vera', 'viewer-password-123');
    expect(vera).toMatchObject({ name: 'vera', role: 'viewer' });
    expect(await fileAuth.checkCredentials('vera', 'wrong')).toBeUndefined();
    expect(await fileAuth.checkCredentials('nobody', 'viewer-password-123')).toBeUndefined();
    expect(fileAuth.fromSession(cookieOf(fileAuth.sessionCookie(vera!)))).toMatchObject({ name: 'vera', role: 'viewer' });
  });

  it('refuses a users file with a plain password, an unknown role or a duplicate', () => {
    expect(() => parseUsersFile('users:\n  - name: a\n    role: operator\n    passwordHash: hunter2hunter2\n', 'f')).toThrow(/passwordHash: not a password hash/);
    expect(() => parseUsersFile('users:\n  - name: a\n    role: admin\n    passwordHash: x\n', 'f')).toThrow(/role/);
    expect(() => parseUsersFile('{"users": [{"name": "a", "role": "viewer", "password": "x"}]}', 'f')).toThrow(/password/);
  });

  it('parses HTTP Basic credentials', () => {
    const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    expect(parseBasicAuth(header('u', 'p:with:colons'))).toEqual({ user: 'u', password: 'p:with:colons' });
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
  });
});

describe('safeNext', () => {
  it.each([
    ['/runs/x?status=failed', '/runs/x?status=failed'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['/login?next=/', '/'],
    [undefined, '/'],
    ['/a b', '/'],
  ])('%j → %j', (input, expected) => {
    expect(safeNext(input)).toBe(expected);
  });
  it.each([
    ['/cm/runs/x', '/cm/runs/x'],
    ['/cm', '/cm'],
    ['/runs/x', '/cm/'],
    ['/cm/login', '/cm/'],
    ['/cmx/runs', '/cm/'],
  ])('under base path /cm: %j → %j', (input, expected) => {
    expect(safeNext(input, '/cm')).toBe(expected);
  });
});

describe('loginThrottle', () => {
  const ops = (address: string) => ({ user: 'ops', address });
  it('refuses a user from an address after too many failures until the window has passed', () => {
    let now = 0;
    const throttle = loginThrottle({ maxFailures: 3, windowMs: 1_000, now: () => now });
    for (let i = 0; i < 3; i += 1) throttle.failed(ops('a'));
    expect(throttle.retryAfterMs(ops('a'))).toBe(1_000);
    // Another address, or another user from the same address, is not locked out.
    expect(throttle.retryAfterMs(ops('b'))).toBe(0);
    expect(throttle.retryAfterMs({ user: 'dev', address: 'a' })).toBe(0);
    now = 1_000;
    expect(throttle.retryAfterMs(ops('a'))).toBe(0);
  });

  it('keeps at most maxEntries, dropping the least recently failed first, never the whole table', () => {
    const throttle = loginThrottle({ maxFailures: 2, maxEntries: 100 });
    throttle.failed(ops('locked'));
    throttle.failed(ops('locked'));
    // A spray of addresses, while the locked pair keeps failing now and then.
    for (let i = 0; i < 1_000; i += 1) {
      throttle.failed(ops(`spray-${i}`));
      if (i % 50 === 0) throttle.failed(ops('locked'));
    }
    expect(throttle.retryAfterMs(ops('locked'))).toBeGreaterThan(0);
    throttle.failed(ops('spray-999'));
    expect(throttle.retryAfterMs(ops('spray-999'))).toBeGreaterThan(0); // recent: kept
    throttle.failed(ops('spray-0'));
    expect(throttle.retryAfterMs(ops('spray-0'))).toBe(0); // evicted long ago: counts from 1 again
  });
});
