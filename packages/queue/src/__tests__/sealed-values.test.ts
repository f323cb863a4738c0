import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostJobId, hostJobReader, jobSigner, jobVerifier, readPemKeys, sealOperations, valueOpener, valueSealer, type HostJobData, type PlacedValue } from '..';

function sealPair() {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }), publicPem: publicKey.export({ type: 'spki', format: 'pem' }) };
}
function signPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }), publicPem: publicKey.export({ type: 'spki', format: 'pem' }) };
}

const RUN = '6f1c2d3e-1a2b-11f0-8a3b-0242ac120002';
const ID = hostJobId(RUN, 'web1');
const NOW = 1_800_000_000_000;
const SECRET = 'hunter2-very-secret';
const job = (): Omit<HostJobData, 'expiresAt' | 'sealed'> => ({
  runId: RUN,
  host: { hostname: 'web1', address: '10.0.0.1', port: 22, user: 'root', keyName: 'k', groups: [], vars: {}, hostKeys: [], become: null },
  operations: [
    { seq: 0, name: 'motd', module: 'file_content', attributes: { path: '/etc/motd', content: 'hi' } },
    { seq: 1, name: 'db', module: 'db_user', attributes: { name: 'app', password: SECRET, keys: ['k-one', 'k-two'], pin: 1234 } },
  ],
  options: { mode: 'apply', keepGoing: false, operationTimeoutSeconds: 300 },
  hostCount: 1,
});
const places: PlacedValue[] = [
  { op: 1, attribute: 'password', value: SECRET },
  { op: 1, attribute: 'keys', item: 0, value: 'k-one' },
  { op: 1, attribute: 'keys', item: 1, value: 'k-two' },
  { op: 1, attribute: 'pin', value: 1234 },
];

describe('sealed values', () => {
  const workers = sealPair();
  const signing = signPair();
  const signer = jobSigner(signing.privatePem, 60_000);
  const sealer = valueSealer(workers.publicPem);
  const read = hostJobReader(jobVerifier([signing.publicPem]), valueOpener([workers.privatePem]));
  /** A job as a master makes it: sealed, then signed; as read back from Redis. */
  const make = (jobId = ID, data = job()) => {
    const { operations, sealed } = sealOperations(sealer, jobId, data.operations, places);
    return JSON.parse(JSON.stringify(signer.sign(jobId, { ...data, operations, sealed }, NOW))) as { payload: string; signature: unknown };
  };
  /** The job with its payload changed and signed again (as by a master key holder), so that only the sealing is in question. */
  const resigned = (wire: { payload: string }, change: (p: HostJobData) => void, jobId = ID) => {
    const payload = JSON.parse(wire.payload) as HostJobData;
    change(payload);
    const { expiresAt: _e, ...rest } = payload;
    return signer.sign(jobId, rest, NOW);
  };

  it('the job in Redis holds none of the values; a worker opens them after the signature check', () => {
    const wire = make();
    for (const value of [SECRET, 'k-one', 'k-two', '1234']) expect(JSON.stringify(wire)).not.toContain(value);
    const payload = JSON.parse(wire.payload) as HostJobData;
    expect(payload.operations[1]!.attributes).toEqual({ name: 'app', password: '', keys: ['', ''], pin: '' });
    expect(payload.sealed?.keyId).toBe(sealer.keyId);
    const reading = read(ID, wire, NOW);
    expect(reading).toEqual({ kind: 'valid', data: { ...job(), expiresAt: NOW + 60_000 } });
  });

  it('one ephemeral key per job: the same values sealed twice differ', () => {
    expect(JSON.parse(make().payload).sealed.ephemeralKey).not.toBe(JSON.parse(make().payload).sealed.ephemeralKey);
  });

  it('a sealed value moved to another job, operation or attribute does not open: the host is refused', () => {
    const other = make(hostJobId(RUN, 'web2'), { ...job(), host: { ...job().host, hostname: 'web2' } });
    const moved = resigned(make(), (p) => void (p.sealed = (JSON.parse(other.payload) as HostJobData).sealed));
    expect(read(ID, moved, NOW)).toMatchObject({ kind: 'refused', refusal: expect.stringMatching(/^sealed value of operation #1 attribute password does not open/) });
    const swapped = resigned(make(), (p) => {
      const [a, b] = [p.sealed!.values[1]!, p.sealed!.values[2]!];
      [a.box, b.box] = [b.box, a.box];
    });
    expect(read(ID, swapped, NOW)).toMatchObject({ kind: 'refused', refusal: expect.stringMatching(/item 0 does not open/) });
    const renamed = resigned(make(), (p) => {
      p.operations[1]!.attributes.name = '';
      p.sealed!.values[0]!.attribute = 'name';
    });
    expect(read(ID, renamed, NOW)).toMatchObject({ kind: 'refused', refusal: expect.stringMatching(/attribute name does not open/) });
    // A box put where the job has a value of its own.
    const noSlot = resigned(make(), (p) => void (p.operations[1]!.attributes.password = 'plain'));
    expect(read(ID, noSlot, NOW)).toMatchObject({ kind: 'refused', refusal: expect.stringMatching(/has no sealed slot there/) });
  });

  it('values sealed to a key the worker does not hold do not open; several keys are held while one is rotated', () => {
    const next = sealPair();
    const nextJob = () => {
      const { operations, sealed } = sealOperations(valueSealer(next.publicPem), ID, job().operations, places);
      return signer.sign(ID, { ...job(), operations, sealed }, NOW);
    };
    expect(read(ID, nextJob(), NOW)).toMatchObject({ kind: 'refused', refusal: expect.stringMatching(/^sealed to key [0-9a-f]{16}, which this worker does not hold$/) });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'seal-keys-'));
    writeFileSync(path.join(dir, 'a.pem'), workers.privatePem);
    writeFileSync(path.join(dir, 'b.pem'), next.privatePem);
    const both = hostJobReader(jobVerifier([signing.publicPem]), valueOpener(readPemKeys(dir, 'PRIVATE KEY')));
    expect(both(ID, nextJob(), NOW).kind).toBe('valid');
    expect(both(ID, make(), NOW).kind).toBe('valid');
  });

  it('the signature is checked before anything is opened, and a job with nothing sensitive carries no sealed section', () => {
    const unsigned = { payload: make().payload };
    expect(read(ID, unsigned, NOW)).toMatchObject({ kind: 'refused', refusal: 'unsigned job' });
    const plain = signer.sign(ID, { ...job(), ...sealOperations(sealer, ID, job().operations, []) }, NOW);
    expect(JSON.parse(plain.payload)).not.toHaveProperty('sealed');
    expect(read(ID, plain, NOW).kind).toBe('valid');
    expect(read(ID, { payload: '{' }, NOW)).toMatchObject({ kind: 'malformed' });
    expect(read(ID, { runId: RUN }, NOW)).toMatchObject({ kind: 'malformed' });
  });

  it('refuses keys that are not X25519', () => {
    expect(() => valueSealer(signPair().publicPem)).toThrow(/x25519/);
    expect(() => valueOpener([signPair().privatePem])).toThrow(/x25519/);
    expect(() => valueOpener([])).toThrow(/no seal private key/);
  });
});
