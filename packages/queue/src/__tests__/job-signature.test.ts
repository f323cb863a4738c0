import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostJobId, jobSigner, jobVerifier, readPublicKeys, type JobVerifier, type SignedPayload } from '..';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }), publicPem: publicKey.export({ type: 'spki', format: 'pem' }) };
}

const RUN = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';
const ID = hostJobId(RUN, 'web1');
const data = () => ({
  runId: RUN,
  host: { hostname: 'web1', address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: [], vars: {}, hostKeys: ['ssh-ed25519 AAAA'], become: null },
  operations: [{ seq: 0, name: 'motd', module: 'file_content', attributes: { path: '/etc/motd', content: 'hi' }, tags: ['a'] }],
  options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 },
  hostCount: 1,
});
const NOW = 1_800_000_000_000;

describe('host job signatures', () => {
  const current = keyPair();
  const signer = jobSigner(current.privatePem, 60_000);
  const verifier = jobVerifier([current.publicPem]);
  /** What a worker checks of a job as read from Redis (the payload's run and host give the expected id). */
  const check = (v: JobVerifier, jobId: string, job: { payload: string; signature?: unknown }, now = NOW) => {
    const parsed = JSON.parse(job.payload) as { runId: string; host: { hostname: string }; expiresAt?: number };
    return v.verify({ jobId, payload: job.payload, signature: job.signature, expectedJobId: hostJobId(parsed.runId, parsed.host.hostname), expiresAt: parsed.expiresAt }, now);
  };
  const edit = (job: SignedPayload, change: (payload: ReturnType<typeof data> & { expiresAt: number }) => void): SignedPayload => {
    const payload = JSON.parse(job.payload) as ReturnType<typeof data> & { expiresAt: number };
    change(payload);
    return { ...job, payload: JSON.stringify(payload) };
  };

  it('a signed job is its payload serialised once with its expiry, and verifies as read back from Redis', () => {
    const signed = signer.sign(ID, data(), NOW);
    expect(JSON.parse(signed.payload)).toEqual({ ...data(), expiresAt: NOW + 60_000 });
    expect(signed.signature.keyId).toBe(signer.keyId);
    expect(check(verifier, ID, JSON.parse(JSON.stringify(signed)) as SignedPayload)).toBeNull();
  });

  it('refuses an unsigned job, an edited one, an expired one and one whose id is not its own', () => {
    const signed = signer.sign(ID, data(), NOW);
    expect(check(verifier, ID, { payload: signed.payload })).toBe('unsigned job');
    expect(check(verifier, ID, edit(signed, (p) => void (p.operations[0]!.attributes.content = 'rm -rf /')))).toMatch(/bad signature/);
    expect(check(verifier, ID, edit(signed, (p) => void (p.host.address = '10.6.6.6')))).toMatch(/bad signature/);
    expect(check(verifier, ID, edit(signed, (p) => void (p.expiresAt += 1)))).toMatch(/bad signature/);
    // The same object, encoded with other whitespace: the bytes are what is signed.
    expect(check(verifier, ID, { ...signed, payload: JSON.stringify(JSON.parse(signed.payload), null, 1) })).toMatch(/bad signature/);
    expect(check(verifier, ID, signed, NOW + 60_000)).toMatch(/^expired at /);
    // Signed for web1, planted under another host's id (or the other way round).
    const web2 = edit(signed, (p) => void (p.host.hostname = 'web2'));
    expect(check(verifier, hostJobId(RUN, 'web2'), web2)).toMatch(/bad signature/);
    expect(check(verifier, 'forged-id', signed)).toMatch(/is not run\./);
  });

  it('refuses a job signed by a key it does not trust', () => {
    const stranger = jobSigner(keyPair().privatePem, 60_000);
    expect(check(verifier, ID, stranger.sign(ID, data(), NOW))).toMatch(/does not trust/);
  });

  it('trusts several keys at once while a key is rotated (a directory of PEM files)', () => {
    const next = keyPair();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'job-keys-'));
    writeFileSync(path.join(dir, 'current.pem'), current.publicPem);
    writeFileSync(path.join(dir, 'next.pem'), next.publicPem);
    writeFileSync(path.join(dir, 'README'), 'not a key');
    const both = jobVerifier(readPublicKeys(dir));
    expect(both.keyIds).toHaveLength(2);
    expect(check(both, ID, signer.sign(ID, data(), NOW))).toBeNull();
    expect(check(both, ID, jobSigner(next.privatePem, 60_000).sign(ID, data(), NOW))).toBeNull();
  });

  it('refuses keys that are not Ed25519, and a verifier with no key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => jobSigner(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), 1000)).toThrow(/ed25519/);
    expect(() => jobVerifier([])).toThrow(/no trusted/);
  });
});
