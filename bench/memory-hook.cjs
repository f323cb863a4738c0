'use strict';
// Preloaded into a long-lived SimpleCM process (the soak's worker) with NODE_OPTIONS=--require
// when BENCH_MEMORY_TRACE names a file: every BENCH_MEMORY_TRACE_MS (default 100) it appends one
// JSON line of process.memoryUsage() and V8's heap spaces, so the soak can say what the peak
// RSS is made of (JS heap by space, buffers outside it, the rest: code, stacks, native
// allocations such as OpenSSL's per-connection state). An unref'd timer: it never keeps the
// process alive, and a failure to write stops the sampling, never the process.
const fs = require('node:fs');
const v8 = require('node:v8');

// BENCH_V8_FLAGS: V8 flags set at start through v8.setFlagsFromString, for those that V8 reads
// while it runs (--heap-growing-percent) and that NODE_OPTIONS does not accept.
if (process.env.BENCH_V8_FLAGS) v8.setFlagsFromString(process.env.BENCH_V8_FLAGS);

const file = process.env.BENCH_MEMORY_TRACE;
if (file) {
  const everyMs = Number(process.env.BENCH_MEMORY_TRACE_MS) || 100;
  const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
  const timer = setInterval(() => {
    try {
      const m = process.memoryUsage();
      const spaces = {};
      for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name.replace(/_space$/, '')] = mb(s.space_size);
      fs.appendFileSync(file, `${JSON.stringify({ t: Date.now(), rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), spaces })}\n`);
    } catch {
      clearInterval(timer);
    }
  }, everyMs);
  timer.unref();
}

// BENCH_HEAP_SAMPLING=FILE: V8's sampling heap profiler from the start, every allocation counted
// (also what the next GC collects); SIGUSR2 writes the profile so far to FILE (.heapprofile,
// readable by Chrome DevTools and by bench/heap-profile-summary.ts). BENCH_HEAP_SAMPLING_LIVE=1:
// only what is still alive when the profile is written (what a peak holds, not what it churned).
const samplingFile = process.env.BENCH_HEAP_SAMPLING;
if (samplingFile) {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  session.post('HeapProfiler.enable');
  const all = process.env.BENCH_HEAP_SAMPLING_LIVE !== '1';
  session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: all, includeObjectsCollectedByMinorGC: all });
  process.on('SIGUSR2', () => {
    session.post('HeapProfiler.getSamplingProfile', (error, result) => {
      if (error || !result) return;
      try {
        fs.writeFileSync(samplingFile, JSON.stringify(result.profile));
      } catch {
        // Measuring must never change how the process runs.
      }
    });
  });
}
