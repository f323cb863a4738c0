#!/usr/bin/env node
'use strict';
/**
 * Runs one SimpleCM process from its plain-JavaScript build: `node bin/app.cjs <app> [args]`
 * (what `npm run enqueue`, `npm run worker` … do, and the docker image's entry point), or builds
 * them all: `node bin/app.cjs --build`. The apps and their entry points are listed in
 * bin/entry-points.json, the one place that names them.
 *
 * Each app is one esbuild bundle in dist/ with the workspace packages and most npm dependencies
 * inlined. Loading it takes ~0.25 s of CPU where tsx needs ~0.9 s (it compiles every TypeScript
 * file first), and `enqueue` is started once per run, so that is start-up time of every run.
 * A bundle older than any source file is rebuilt before it runs (~0.3 s), so editing the
 * TypeScript and running again needs no build step. V8's compiled code for a bundle is kept
 * next to it (`<app>.js.cache`), which saves compiling 4 MB of JavaScript at every start
 * (~70 ms of CPU; Node 20 has no compile cache of its own).
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const root = path.resolve(__dirname, '..');
const distDir = path.join(root, 'dist');

/** Entry point of each app, by the name it is started with. */
const entryPointsFile = path.join(__dirname, 'entry-points.json');
const apps = JSON.parse(fs.readFileSync(entryPointsFile, 'utf8'));

/**
 * Left to node_modules: ssh2 loads its native crypto binding from a path relative to itself
 * (bundled, it would silently fall back to slower JavaScript ciphers), and Bull Board serves its
 * UI's files from its own package directory.
 */
const external = ['ssh2', 'cpu-features', '@bull-board/*', 'express'];

/** What a bundle is built from: when any of it is newer than the bundle, the bundle is stale. */
const sourceRoots = ['apps', 'packages'].map((d) => path.join(root, d));
const sourceFiles = [path.join(root, 'package-lock.json'), path.join(root, 'tsconfig.json'), __filename, entryPointsFile];

function newestSourceMtimeMs() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === '__tests__' || entry.name === 'dist') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  sourceRoots.forEach(visit);
  for (const f of sourceFiles) newest = Math.max(newest, fs.statSync(f).mtimeMs);
  return newest;
}

function bundleFile(app) {
  return path.join(distDir, `${app}.js`);
}

function cacheFile(app) {
  return `${bundleFile(app)}.cache`;
}

/** Several processes may start at once: each writes its own temporary file and renames it. */
function writeAtomically(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

/**
 * Runs a bundle as node would `require` it, compiled with V8's cached data when there is
 * usable cache. Without it, the code compiled while the process ran (start-up included) is
 * cached as the process exits.
 */
function runBundle(app) {
  const file = bundleFile(app);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile(app));
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        writeAtomically(cacheFile(app), script.createCachedData());
      } catch {
        // Only a cache: the next start compiles again.
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  mod.loaded = true;
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
}

function isFresh(app, newest) {
  try {
    return fs.statSync(bundleFile(app)).mtimeMs >= newest;
  } catch {
    return false;
  }
}

/**
 * A few modules find files next to their own source (`path.resolve(__dirname, …)`: the module
 * templates, cql/, the dashboard's assets). In a bundle `__dirname` is dist/, so it is rewritten to
 * the source file's directory, relative to dist/ (the tree can still be moved as a whole).
 */
const sourceDirname = {
  name: 'source-dirname',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = fs.readFileSync(args.path, 'utf8');
      if (!text.includes('__dirname')) return undefined;
      const rel = path.relative(distDir, path.dirname(args.path));
      return { contents: text.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(rel)})`), loader: 'ts' };
    });
  },
};

/** Builds the given apps; each bundle is written to a temporary file and renamed into place. */
async function build(names) {
  const esbuild = require('esbuild');
  fs.mkdirSync(distDir, { recursive: true });
  for (const app of names) {
    const result = await esbuild.build({
      entryPoints: [path.join(root, apps[app])],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external,
      keepNames: true,
      write: false,
      logLevel: 'warning',
      absWorkingDir: root,
      plugins: [sourceDirname],
    });
    writeAtomically(bundleFile(app), result.outputFiles[0].contents);
    fs.rmSync(cacheFile(app), { force: true });
  }
}

/** Builds every app whose bundle is missing or older than a source; returns their names. */
async function buildStale() {
  const newest = newestSourceMtimeMs();
  const stale = Object.keys(apps).filter((app) => !isFresh(app, newest));
  if (stale.length > 0) await build(stale);
  return stale;
}

async function main() {
  const [first, ...rest] = process.argv.slice(2);
  if (first === '--build') {
    const t0 = Date.now();
    await build(Object.keys(apps));
    console.log(`built ${Object.keys(apps).length} apps into ${path.relative(root, distDir)}/ in ${Date.now() - t0} ms`);
    return;
  }
  if (!first || !Object.hasOwn(apps, first)) {
    console.error(`usage: node bin/app.cjs <${Object.keys(apps).join('|')}> [args…] | --build`);
    process.exit(2);
  }
  await start(first, rest);
}

/** Runs app `first` (rebuilt first when stale) as if started as `node dist/<first>.js …rest`. */
async function start(first, rest) {
  const newest = newestSourceMtimeMs();
  if (!isFresh(first, newest)) await build([first]);
  // The app reads its arguments from process.argv.slice(2), as if started as `node dist/<app>.js …`.
  process.argv = [process.argv[0], bundleFile(first), ...rest];
  runBundle(first);
}

module.exports = { apps, build, buildStale, start };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(3);
  });
}
