/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// ts-jest only transpiles (tsconfig has isolatedModules); `npm run typecheck` is the type check.
const transform: Config['transform'] = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };

const config: Config = {
  // Integration tests drive real processes over SSH: generous, but never a timing assertion.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/packages/*/src/**/__tests__/**/*.test.ts', '<rootDir>/apps/*/src/**/__tests__/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Brings the local stack up once (idempotent, fast when it already runs).
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};

export default config;
