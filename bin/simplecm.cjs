#!/usr/bin/env node
'use strict';
/**
 * `simplecm`: the operator's command (package.json `bin`). Runs the cli app's bundle through the
 * launcher (bin/app.cjs), which dispatches each subcommand to its app: `simplecm run` is
 * `node bin/app.cjs enqueue`, `simplecm runs` is `node bin/app.cjs read runs`, and so on.
 */
const { start } = require('./app.cjs');

start('cli', process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(3);
});
