import fs from 'node:fs';
import path from 'node:path';
import { readStateDir, stateDigest } from '..';
import { stateDir } from './fixture';

describe('readStateDir and stateDigest', () => {
  it('reads every file by relative path, but .git/', () => {
    const dir = stateDir({ 'inventory.yaml': 'hosts: {}\n', 'roles/a.yaml': '[]\n', '.git/HEAD': 'ref: x\n' });
    expect([...readStateDir(dir).keys()].sort()).toEqual(['inventory.yaml', 'roles/a.yaml']);
    fs.rmSync(dir, { recursive: true });
  });

  it('is the same for the same files in any order, and changes with a path or a byte', () => {
    const a = stateDigest(new Map([['x', '1'], ['y', '2']]));
    expect(stateDigest(new Map([['y', '2'], ['x', '1']]))).toBe(a);
    expect(stateDigest(new Map([['x', '1'], ['z', '2']]))).not.toBe(a);
    expect(stateDigest(new Map([['x', '1'], ['y', '3']]))).not.toBe(a);
    // Path and content are delimited: moving a byte from one to the other changes the digest.
    expect(stateDigest(new Map([['x1', ''], ['y', '2']]))).not.toBe(stateDigest(new Map([['x', '1'], ['y', '2']])));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads the demo directory', () => {
    const files = readStateDir(path.resolve(__dirname, '..', '..', '..', '..', 'examples', 'demo-state'));
    expect(files.has('templates/web.conf')).toBe(true);
  });
});
