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

  describe('batches: one signature over the Merkle root of the jobs added together', () => {
    const hosts = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `web${from + i}`);
    const batch = (names: readonly string[], s = signer) => s.signBatch(names.map((name) => ({ jobId: hostJobId(RUN, name), data: { ...data(), host: { ...data().host, hostname: name } } })), NOW);

    it('every job of a batch verifies on its own, for batch sizes that are and are not powers of two', () => {
      for (const size of [1, 2, 3, 5, 16, 17, 64, 100]) {
        const names = hosts(size);
        const signed = batch(names);
        expect(new Set(signed.map((job) => job.signature.value)).size).toBe(1);
        // A cold verifier for each job: each one's path must reach the signed root by itself.
        signed.forEach((job, i) => expect(check(jobVerifier([current.publicPem]), hostJobId(RUN, names[i]!), JSON.parse(JSON.stringify(job)) as SignedPayload)).toBeNull());
        expect(signed.map((job) => job.signature.path.length)).toEqual(signed.map(() => expect.any(Number)));
        expect(Math.max(...signed.map((job) => job.signature.path.length))).toBe(Math.ceil(Math.log2(size)));
      }
    });

    it('refuses a job whose path, index or size is altered, or whose payload is, even after its batch root was verified', () => {
      const names = hosts(5);
      const signed = batch(names);
      const warm = jobVerifier([current.publicPem]);
      signed.forEach((job, i) => expect(check(warm, hostJobId(RUN, names[i]!), job)).toBeNull());
      const job = signed[2]!;
      const id = hostJobId(RUN, names[2]!);
      const flipped = Buffer.from(job.signature.path[0]!, 'base64');
      flipped[0]! ^= 1;
      expect(check(warm, id, { ...job, signature: { ...job.signature, path: [flipped.toString('base64'), ...job.signature.path.slice(1)] } })).toMatch(/bad signature/);
      expect(check(warm, id, { ...job, signature: { ...job.signature, path: job.signature.path.slice(1) } })).toMatch(/bad signature/);
      expect(check(warm, id, { ...job, signature: { ...job.signature, path: [...job.signature.path].reverse() } })).toMatch(/bad signature/);
      expect(check(warm, id, { ...job, signature: { ...job.signature, index: 3 } })).toMatch(/bad signature/);
      expect(check(warm, id, { ...job, signature: { ...job.signature, size: 6 } })).toMatch(/bad signature/);
      expect(check(warm, id, { ...job, signature: { ...job.signature, index: 5 } })).toMatch(/bad signature/);
      expect(check(warm, id, edit(job, (p) => void (p.host.address = '10.6.6.6')))).toMatch(/bad signature/);
      // Another job's payload under this job's path: its leaf is not this one.
      expect(check(warm, id, { ...job, payload: signed[3]!.payload })).toMatch(/bad signature|is not run\./);
      expect(check(warm, hostJobId(RUN, names[3]!), { ...signed[3]!, signature: job.signature })).toMatch(/bad signature/);
    });

    it("refuses a job moved under another batch's signature, and a signature whose value was swapped", () => {
      const first = batch(hosts(4));
      const second = batch(hosts(4, 10));
      const warm = jobVerifier([current.publicPem]);
      expect(check(warm, hostJobId(RUN, 'web10'), second[0]!)).toBeNull();
      // web0's job and path, with the other batch's (verified and cached) root signature.
      expect(check(warm, hostJobId(RUN, 'web0'), { ...first[0]!, signature: { ...first[0]!.signature, value: second[0]!.signature.value } })).toMatch(/bad signature/);
      // web0's job with web10's whole signature (path and index included).
      expect(check(warm, hostJobId(RUN, 'web0'), { ...first[0]!, signature: second[0]!.signature })).toMatch(/bad signature/);
      expect(check(warm, hostJobId(RUN, 'web0'), first[0]!)).toBeNull();
    });

    it('the root cache holds exact bytes and is bounded: an evicted root is verified again, a forged one never enters', () => {
      const small = jobVerifier([current.publicPem], 2);
      const batches = [0, 10, 20].map((from) => ({ names: hosts(2, from), signed: batch(hosts(2, from)) }));
      for (const { names, signed } of batches) expect(check(small, hostJobId(RUN, names[0]!), signed[0]!)).toBeNull();
      // The first batch's root was evicted; its second job still verifies (by Ed25519 again).
      expect(check(small, hostJobId(RUN, batches[0]!.names[1]!), batches[0]!.signed[1]!)).toBeNull();
      const stranger = batch(hosts(2), jobSigner(keyPair().privatePem, 60_000))[0]!;
      // The stranger's signature under the trusted key id: refused, and refused again (not cached).
      for (let i = 0; i < 2; i += 1) expect(check(small, hostJobId(RUN, 'web0'), { ...stranger, signature: { ...stranger.signature, keyId: signer.keyId } })).toMatch(/bad signature/);
      expect(check(small, hostJobId(RUN, 'web0'), { ...stranger, signature: { ...stranger.signature, keyId: signer.keyId, value: stranger.signature.value.replace(/=*$/, '') } })).toMatch(/bad signature/);
    });

    it('refuses a signature without its batch fields as unsigned', () => {
      const signed = signer.sign(ID, data(), NOW);
      expect(check(verifier, ID, { ...signed, signature: { keyId: signed.signature.keyId, value: signed.signature.value } })).toBe('unsigned job');
    });
  });

  it('refuses keys that are not Ed25519, and a verifier with no key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => jobSigner(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), 1000)).toThrow(/ed25519/);
    expect(() => jobVerifier([])).toThrow(/no trusted/);
  });
});
