import { execFileSync } from 'node:child_process';

/**
 * The git commit of a directory: `git -C dir rev-parse HEAD`, with `-dirty` when
 * `git status --porcelain` shows changes under it; null when it is not in a git work tree
 * (or git is not installed).
 */
export function gitRevision(dir: string): string | null {
  const git = (args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git(['rev-parse', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--', '.']) !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return null;
  }
}
