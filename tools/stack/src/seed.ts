import { connectionConfigFromEnv } from '@simplecm/config';
import { seedSampleState } from '@simplecm/store';

/** What `npm run seed` does, in this process: the schema (if absent) and the sample desired state of the stack's five hosts. */
export async function seed(env: NodeJS.ProcessEnv): Promise<number> {
  return seedSampleState(connectionConfigFromEnv(env).cassandra);
}
