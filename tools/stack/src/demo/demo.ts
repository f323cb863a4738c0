import { startProcess, stopStarted, type Started } from '../app-processes';
import { seed } from '../seed';
import { ensureDebianPackages, STACK_PACKAGES } from '../debian-packages';
import { stackEnv, stackUp } from '../stack';
import { credentialsFile, ensureDemoDashboard } from './demo-dashboard';
import { errorMessage } from '@simplecm/kernel';

/**
 * `npm run demo`: the whole system on this machine. Brings the stack up (Redis, Cassandra,
 * five SSH hosts), loads the sample desired state, starts three workers and the results
 * consumer, runs `enqueue --wait`, and prints the recap. The stack stays up afterwards.
 */
async function demo(): Promise<number> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  console.log('== stack');
  // A fresh Debian machine: install what the stack needs (as root), or say the one line to run.
  ensureDebianPackages(STACK_PACKAGES, (line) => console.log(`  ${line}`));
  await stackUp({ hosts: 5, atLeast: true, log: (line) => console.log(`  ${line}`) });
  const env = stackEnv();
  console.log(`== seed (${elapsed()})`);
  console.log(`  examples/demo-state applied: ${await seed({ ...process.env, ...env })}`);

  console.log(`== processes (${elapsed()})`);
  const processes: Started[] = [
    // A person reads these lines: the human log format, though the output is a pipe.
    ...[1, 2, 3].map((n) => startProcess('worker', ['--name', `worker${n}`], { ...env, SIMPLECM_LOG_FORMAT: 'human' }, { echo: true, prefix: `  [worker${n}] ` })),
    startProcess('results-consumer', [], { ...env, SIMPLECM_LOG_FORMAT: 'human' }, { echo: true, prefix: '  [results] ' }),
  ];
  let dashboard: string | undefined;
  try {
    dashboard = await ensureDemoDashboard(env);
    console.log(`  dashboard: ${dashboard} (user operator, password in ${credentialsFile})`);
  } catch (error) {
    console.log(`  dashboard not started: ${errorMessage(error)}`);
  }
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    console.log(`== enqueue --wait (${elapsed()})`);
    const enqueue = startProcess('enqueue', ['--wait'], env, { echo: true });
    const code = await enqueue.exited;
    const runId = /run ([0-9a-f-]{36})/.exec(enqueue.output())?.[1];
    console.log(`== done in ${elapsed()} (enqueue exit ${code}: ${code === 1 ? 'host5 fails on purpose' : code === 0 ? 'all hosts converged' : 'error'})`);
    console.log('Next:');
    if (dashboard) console.log(`  ${dashboard.padEnd(46)} the dashboard: runs, hosts, output, queues`);
    console.log('  npm run runs                                  recent runs');
    if (runId) console.log(`  npm run results -- ${runId} --host host5   host5's operations`);
    console.log('  source .stack/env && npm run enqueue -- --wait   run again (all ok: idempotent)');
    console.log('  npm run stack -- down                          stop everything');
    return code === 0 || code === 1 ? 0 : 1;
  } finally {
    await Promise.all(processes.map((p) => stopStarted(p)));
  }
}

demo().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo: ${errorMessage(error)}`);
    process.exit(1);
  },
);
