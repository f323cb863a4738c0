'use strict';
/**
 * Image build step (docker/app.Dockerfile): every app's bundle, as `node scripts/app.cjs --build`
 * makes them, plus dist/seed.js, the sample desired state loader (scripts/seed.ts), which the
 * runtime image cannot run through tsx (a development dependency). Its bundle is built by the
 * launcher's own build, so paths next to its sources (cql/) resolve the same way.
 */
const launcher = require('../scripts/app.cjs');

const bundles = { ...launcher.apps, seed: 'scripts/seed.ts' };
Object.assign(launcher.apps, { seed: bundles.seed });
launcher.build(Object.keys(bundles)).then(
  () => console.log(`bundled ${Object.keys(bundles).join(', ')}`),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
