import { connectionConfigFromEnv } from '@simplecm/config';
import { seedSampleState } from '@simplecm/store';
import { errorMessage } from '@simplecm/kernel';

/**
 * `npm run seed` (and docker compose's `schema` job): the schema if absent, then the sample
 * desired state of five hosts. SIMPLECM_SEED_ADDRESSES=hostnames reaches them by name (host1…,
 * as in docker compose) instead of the local stack's addresses.
 */
async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const { cassandra } = connectionConfigFromEnv(env);
  return seedSampleState(cassandra, env.SIMPLECM_SEED_ADDRESSES === 'hostnames' ? 'hostnames' : 'loopback');
}

main(process.env).then(
  (n) => console.log(`seed: ${n} statements applied`),
  (error: unknown) => {
    console.error(`seed: ${errorMessage(error)}`);
    process.exit(1);
  },
);
