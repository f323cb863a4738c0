/**
 * The house rules, checked by `npm run check:boundaries` and the boundaries test in `npm test`.
 * Product code is apps/ and packages/; tooling (tools/), bench/ and test/ may use it, never the
 * other way round. Paths are relative to the repository root.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-app-to-app',
      comment: 'An app never imports another app: what two apps share belongs in a package.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'product-not-to-tooling',
      comment: 'Product code (apps, packages) never imports dev tooling, benchmarks or tests.',
      severity: 'error',
      from: { path: '^(apps|packages)/' },
      to: { path: '^(tools|bench|test|scripts)/' },
    },
    {
      name: 'package-roots-only',
      comment: "Code outside a package imports its root (`@simplecm/x`), never a file inside it.",
      severity: 'error',
      from: { path: '^(apps|packages|tools)/([^/]+)/' },
      to: { path: '^(packages|tools)/[^/]+/src/', pathNot: ['^(packages|tools)/$2/', '^(packages|tools)/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'tests-and-bench-use-roots',
      comment: 'Tests and benchmarks import package roots too (a package keeps its files private).',
      severity: 'error',
      from: { path: '^(test|bench)/' },
      to: { path: '^(packages|tools|apps)/[^/]+/src/', pathNot: '^(packages|tools|apps)/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'pure-core-no-io',
      comment: 'The domain and the kernel do no I/O: no file system, network, processes or timers of the OS.',
      severity: 'error',
      from: { path: '^packages/(domain|kernel)/src/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|tls|http|https|http2|dgram|dns|child_process|cluster|worker_threads|os|readline)$' },
    },
    {
      name: 'pure-core-few-deps',
      comment: 'The domain and the kernel depend on zod at most.',
      severity: 'error',
      from: { path: '^packages/(domain|kernel)/src/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: '^node_modules/zod/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.stack|\\.cache|\\.bench|artifacts)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    preserveSymlinks: false,
  },
};
