import { createAuthenticator, parseBasicAuth, SESSION_COOKIE } from '../authenticator';
import { loginThrottle } from '../login-throttle';
import { safeNext } from '../login-routes';

const config = { user: 'ops', password: 'a-long-enough-password', sessionSecret: 's'.repeat(40), sessionTtlMs: 60_000, secureCookie: false };
const cookieOf = (setCookie: string) => setCookie.split(';')[0] as string;

describe('authenticator', () => {
  let now = 1_000_000;
  const auth = createAuthenticator(config, () => now);

  it('checks both halves of the credentials', () => {
    expect(auth.checkCredentials('ops', 'a-long-enough-password')).toBe(true);
    expect(auth.checkCredentials('ops', 'a-long-enough-passwor')).toBe(false);
    expect(auth.checkCredentials('Ops', 'a-long-enough-password')).toBe(false);
    expect(auth.checkCredentials('', '')).toBe(false);
  });

  it('issues an HttpOnly SameSite cookie that authenticates until it expires', () => {
    const set = auth.sessionCookie('ops');
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Max-Age=60; Path=/; HttpOnly; SameSite=Lax$`));
    expect(auth.authenticate({ cookie: `other=1; ${cookieOf(set)}` })).toBe('ops');
    now += 61_000;
    expect(auth.authenticate({ cookie: cookieOf(set) })).toBeUndefined();
  });

  it('refuses a tampered, forged or foreign cookie', () => {
    const value = cookieOf(auth.sessionCookie('ops')).slice(SESSION_COOKIE.length + 1);
    const [payload, mac] = value.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ u: 'ops', exp: now + 10 ** 9 })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, payload, `${payload}.${mac}.x`, '', 'garbage']) {
      expect(auth.authenticate({ cookie: `${SESSION_COOKIE}=${bad}` })).toBeUndefined();
    }
    const otherSecret = createAuthenticator({ ...config, sessionSecret: 't'.repeat(40) }, () => now);
    expect(otherSecret.authenticate({ cookie: cookieOf(auth.sessionCookie('ops')) })).toBeUndefined();
  });

  it('ends sessions when the password changes', () => {
    const set = auth.sessionCookie('ops');
    const changed = createAuthenticator({ ...config, password: 'another-long-password' }, () => now);
    expect(changed.authenticate({ cookie: cookieOf(set) })).toBeUndefined();
  });

  it('accepts HTTP Basic credentials', () => {
    const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    expect(auth.authenticate({ authorization: header('ops', 'a-long-enough-password') })).toBe('ops');
    expect(auth.authenticate({ authorization: header('ops', 'wrong-password-here') })).toBeUndefined();
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
