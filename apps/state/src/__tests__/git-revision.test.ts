import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitRevision } from '../git-revision';

describe('gitRevision', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-git-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();

  it('is null outside a git work tree', () => {
    expect(gitRevision(dir)).toBeNull();
  });

  it('is HEAD, with -dirty while the state directory has uncommitted changes', () => {
    git('init', '-q');
    fs.mkdirSync(path.join(dir, 'state'));
    fs.writeFileSync(path.join(dir, 'state', 'inventory.yaml'), 'hosts: {}\n');
    git('add', '.');
    git('commit', '-qm', 'first');
    const head = git('rev-parse', 'HEAD');
    expect(gitRevision(path.join(dir, 'state'))).toBe(head);
    fs.writeFileSync(path.join(dir, 'elsewhere.txt'), 'not in the state directory\n');
    expect(gitRevision(path.join(dir, 'state'))).toBe(head);
    fs.writeFileSync(path.join(dir, 'state', 'site.yaml'), '[]\n');
    expect(gitRevision(path.join(dir, 'state'))).toBe(`${head}-dirty`);
  });
});
