import { createHmac, randomBytes } from 'node:crypto';
import { knownHostsName, parseKnownHosts } from '../known-hosts';
import { formatKnownHostsLine } from '../known-hosts-line';

const keyA = randomBytes(51);
const keyB = randomBytes(51);
const b64 = (b: Buffer) => b.toString('base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('finds plain entries by name or address, bracketed for other ports', () => {
    const kh = parseKnownHosts(`# comment\nhost1,127.10.0.1 ssh-ed25519 ${b64(keyA)}\n[127.10.0.2]:2222 ssh-ed25519 ${b64(keyB)}\n`);
    expect(kh.keysFor(['host1'], 22).keys).toEqual([keyA]);
    expect(kh.keysFor(['nope', '127.10.0.1'], 22).keys).toEqual([keyA]);
    expect(kh.keysFor(['127.10.0.2'], 2222).keys).toEqual([keyB]);
    expect(kh.keysFor(['127.10.0.2'], 22).keys).toEqual([]);
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2200)).toBe('[h]:2200');
  });

  it('matches hashed names (HashKnownHosts) and not other names', () => {
    const kh = parseKnownHosts(`${hashed('host7')} ssh-ed25519 ${b64(keyA)}\n${hashed('[10.0.0.9]:2022')} ssh-ed25519 ${b64(keyB)}\n`);
    expect(kh.keysFor(['host7'], 22).keys).toEqual([keyA]);
    expect(kh.keysFor(['host8'], 22).keys).toEqual([]);
    expect(kh.keysFor(['10.0.0.9'], 2022).keys).toEqual([keyB]);
  });

  it('honours wildcards, negation and @revoked', () => {
    const kh = parseKnownHosts(`*.fleet,!bad.fleet ssh-ed25519 ${b64(keyA)}\n@revoked host9 ssh-ed25519 ${b64(keyB)}\n`);
    expect(kh.keysFor(['web1.fleet'], 22).keys).toEqual([keyA]);
    expect(kh.keysFor(['bad.fleet'], 22).keys).toEqual([]);
    expect(kh.keysFor(['host9'], 22).revoked).toEqual([keyB]);
  });

  it('gives indexed and pattern entries of a host together, in file order, names matched case-insensitively', () => {
    const keyC = Buffer.from('third key blob');
    const kh = parseKnownHosts(`*.Fleet ssh-ed25519 ${b64(keyA)}\nWEB1.fleet,10.0.0.1 ssh-ed25519 ${b64(keyB)}\nweb1.fleet ssh-rsa ${b64(keyC)}\n`);
    expect(kh.keysFor(['web1.FLEET'], 22).keys).toEqual([keyA, keyB, keyC]);
    expect(kh.keysFor(['other', '10.0.0.1'], 22).keys).toEqual([keyB]);
    expect(kh.keysFor(['web1.fleet'], 2222).keys).toEqual([]);
  });

  it('formats a line that parses back to the same key, names spelled for the port', () => {
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
    expect(formatKnownHostsLine(['host1', '127.10.0.1'], 22, blob)).toBe(`host1,127.10.0.1 ssh-ed25519 ${b64(blob)}\n`);
    const line = formatKnownHostsLine(['host1', '127.30.0.1'], 2222, blob);
    expect(line.startsWith('[host1]:2222,[127.30.0.1]:2222 ssh-ed25519 ')).toBe(true);
    expect(parseKnownHosts(line).keysFor(['127.30.0.1'], 2222).keys).toEqual([blob]);
    expect(parseKnownHosts(line).keysFor(['127.30.0.1'], 22).keys).toEqual([]);
  });
});
