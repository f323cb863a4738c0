'use strict';
// Preloaded with NODE_OPTIONS=--require (node refuses --cpu-prof there): when
// BENCH_CPU_PROFILE_DIR is set, profiles the process with the inspector from start to exit and
// writes <dir>/<pid>.cpuprofile when it exits through process.exit (how every SimpleCM main
// ends). A same-thread inspector session answers synchronously, so this works inside exit.
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  const write = () => {
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      } catch {
        // Profiling must never change how the process ends.
      }
    });
  };
  const exit = process.exit.bind(process);
  let written = false;
  process.exit = (code) => {
    if (!written) {
      written = true;
      write();
    }
    return exit(code);
  };
}
