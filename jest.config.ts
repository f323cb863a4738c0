/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// ts-jest only transpiles (tsconfig has isolatedModules); `npm run typecheck` is the type check.
const transform: Config['transform'] = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
// Generated state and caches (the stack, benchmark builds) are never searched for tests or modules.
const ignored = ['<rootDir>/.stack/', '<rootDir>/.cache/', '<rootDir>/.bench/', '<rootDir>/node_modules/', '<rootDir>/artifacts/'];
const common = { testEnvironment: 'node', transform, testPathIgnorePatterns: ignored, modulePathIgnorePatterns: ['<rootDir>/.stack/', '<rootDir>/.cache/', '<rootDir>/.bench/'] } as const;
const clusterTests = process.env.SIMPLECM_CLUSTER_TESTS === '1';
const containerTests = process.env.SIMPLECM_CONTAINER_TESTS === '1';

const config: Config = {
  // Integration tests drive real processes over SSH: generous, but never a timing assertion.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      ...common,
      testMatch: ['<rootDir>/packages/*/src/**/__tests__/**/*.test.ts', '<rootDir>/apps/*/src/**/__tests__/**/*.test.ts', '<rootDir>/tools/*/src/**/__tests__/**/*.test.ts', '<rootDir>/test/architecture/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      ...common,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Brings the local stack up once (idempotent, fast when it already runs).
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    {
      // Real faults (SIGKILLed workers, Cassandra and Redis outages, hung hosts) against the shared
      // stack: run in band only, never beside the integration tests. Prints a table at the end.
      displayName: 'faults',
      ...common,
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      globalSetup: '<rootDir>/test/faults/global-setup.ts',
      globalTeardown: '<rootDir>/test/faults/global-teardown.ts',
    },
    // Fault tests on a 3-node Cassandra ring and a Redis Cluster (`npm run test:cluster`). They start
    // and stop those clusters, so the project exists only when asked for (SIMPLECM_CLUSTER_TESTS=1),
    // never in a plain `jest`/`npm test`.
    ...(clusterTests
      ? [
          {
            displayName: 'cluster',
            ...common,
            testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
            globalSetup: '<rootDir>/test/cluster/support/global-setup.ts',
            globalTeardown: '<rootDir>/test/cluster/support/global-teardown.ts',
          },
        ]
      : []),
    // SimpleCM in real containers (`npm run test:containers`, issue 19): a Docker engine of its own
    // (root, --bridge=none --iptables=false), images built from a local Debian base, the compose
    // layout on host networking at 127.30.x.y. Only when asked for (SIMPLECM_CONTAINER_TESTS=1).
    ...(containerTests
      ? [
          {
            displayName: 'containers',
            ...common,
            testMatch: ['<rootDir>/test/containers/**/*.test.ts'],
            globalSetup: '<rootDir>/test/containers/support/global-setup.ts',
            globalTeardown: '<rootDir>/test/containers/support/global-teardown.ts',
          },
        ]
      : []),
  ],
};

export default config;
