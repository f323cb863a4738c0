import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A state directory's files as text, by path relative to the directory (`/`-separated). The
 * compiler works on this map, never on the disk, so export's output can be compiled as is.
 */
export type StateFiles = ReadonlyMap<string, string>;

/** Directories never read: version control and tool caches. */
const skippedDirs = new Set(['.git', 'node_modules']);

/** Reads every file under `dir` (but .git/ and node_modules/) as UTF-8 text. */
export function readStateDir(dir: string): StateFiles {
  const files = new Map<string, string>();
  const visit = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!skippedDirs.has(entry.name)) visit(child);
      } else if (entry.isFile()) {
        files.set(child, fs.readFileSync(path.join(dir, child), 'utf8'));
      }
    }
  };
  visit('');
  return files;
}

/** Writes files under `dir`, creating directories as needed. */
export function writeStateDir(dir: string, files: StateFiles): void {
  for (const [rel, text] of files) {
    const file = path.join(dir, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

/** sha256 of the files in path order, each as its path, its length and its content. */
export function stateDigest(files: StateFiles): string {
  const hash = createHash('sha256');
  for (const rel of [...files.keys()].sort()) {
    const content = Buffer.from(files.get(rel) ?? '', 'utf8');
    hash.update(`${rel}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}
