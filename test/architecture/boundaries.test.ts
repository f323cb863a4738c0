import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The house rules in .dependency-cruiser.cjs, checked on the real tree, and shown to fail: the
 * same rules on a small tree that breaks each of them once must report each of them.
 */
const root = path.resolve(__dirname, '..', '..');
const config = path.join(root, '.dependency-cruiser.cjs');
const cli = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string, dirs: readonly string[]): Violation[] {
  const r = spawnSync(process.execPath, [cli, '--config', config, '--output-type', 'json', ...dirs], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[] } };
  return out.summary.violations;
}

describe('package boundaries', () => {
  it('the tree keeps every rule', () => {
    const dirs = ['apps', 'packages', 'tools', 'bench', 'test'].filter((d) => fs.existsSync(path.join(root, d)));
    const violations = cruise(root, dirs).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(violations).toEqual([]);
  });

  it('reports each rule when a tree breaks it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simplecm-boundaries-'));
    try {
      const files: Record<string, string> = {
        'tsconfig.json': '{ "compilerOptions": { "module": "commonjs", "moduleResolution": "node" } }',
        'apps/worker/src/main.ts': [
          "import '../../master/src/recap';", // an app importing another app
          "import '../../../packages/queue/src/host-job';", // a package's file, not its root
          "import '../../../tools/stack/src/index';", // product code importing tooling
        ].join('\n'),
        'apps/master/src/recap.ts': 'export const recap = 1;',
        'packages/queue/src/index.ts': "export * from './host-job';",
        'packages/queue/src/host-job.ts': 'export const job = 1;',
        'packages/domain/src/index.ts': "import fs from 'node:fs';\nexport const f = fs;", // I/O in the domain
        'packages/store/src/a.ts': "import { b } from './b';\nexport const a = b;",
        'packages/store/src/b.ts': "import { a } from './a';\nexport const b = a;", // a cycle
        'tools/stack/src/index.ts': "export * from './hosts';",
        'tools/stack/src/hosts.ts': 'export const hosts = 1;',
        'test/x.test.ts': "import '../tools/stack/src/hosts';", // a test reaching into tooling's files
      };
      for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      }
      const rules = new Set(cruise(dir, ['apps', 'packages', 'tools', 'test']).map((v) => v.rule.name));
      expect([...rules].sort()).toEqual(['no-app-to-app', 'no-cycles', 'package-roots-only', 'product-not-to-tooling', 'pure-core-no-io', 'tests-and-bench-use-roots']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
