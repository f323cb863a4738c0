import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temporary directory; the caller removes it (see removeDir). */
export function makeTempDir(prefix = 'simplecm-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes `<modulesDir>/<name>/module.json` (an object is JSON-encoded) and script.sh.hbs. */
export function writeModule(modulesDir: string, name: string, spec: unknown, template: string): string {
  const dir = path.join(modulesDir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'module.json'), typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  fs.writeFileSync(path.join(dir, 'script.sh.hbs'), template);
  return dir;
}

/**
 * Everything observable about a directory tree — names, types, modes, owners, sizes, mtimes,
 * contents, link targets — so a test can assert that check mode changed nothing.
 */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const st = fs.lstatSync(full);
      const meta = `mode=${st.mode.toString(8)} uid=${st.uid} gid=${st.gid} mtime=${st.mtimeMs}`;
      if (st.isSymbolicLink()) out[rel] = `link -> ${fs.readlinkSync(full)} ${meta}`;
      else if (st.isDirectory()) {
        out[rel] = `dir ${meta}`;
        walk(full);
      } else out[rel] = `file ${meta} content=${fs.readFileSync(full).toString('base64')}`;
    }
  };
  walk(root);
  return out;
}
