'use strict';
// Preloaded into short-lived SimpleCM processes (enqueue) with NODE_OPTIONS=--require: when
// the process exits it records its own /proc/self/stat and VmHWM into BENCH_USAGE_DIR, which a
// parent cannot read reliably once the process is gone. Parsing happens in bench/proc-stats.ts.
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.BENCH_USAGE_DIR;
if (dir) {
  process.on('exit', () => {
    try {
      const record = {
        pid: process.pid,
        ppid: process.ppid,
        argv: process.argv,
        execArgv: process.execArgv,
        stat: fs.readFileSync('/proc/self/stat', 'utf8'),
        status: fs.readFileSync('/proc/self/status', 'utf8'),
        exitedAt: Date.now(),
      };
      fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(record));
    } catch {
      // Measuring must never change how the process ends.
    }
  });
}
