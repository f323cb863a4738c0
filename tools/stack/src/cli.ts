import { z } from 'zod';
import { ConfigError, intFlag, parseCli } from '@simplecm/config';
import { formatTable } from '@simplecm/terminal';
import { StackError } from './stack-error';
import { maxCassandraClusterNodes } from './cassandra-cluster';
import { redisTlsUp } from './redis-tls';
import { stackDown, stackStatus, stackUp } from './stack';
import { errorMessage } from '@simplecm/kernel';

const usage = 'usage: npm run stack -- up [--hosts N] [--redis-tls] [--cassandra-nodes N] [--redis-cluster] | down | status';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (line: string) => console.log(line);
  switch (command) {
    case 'up': {
      const { flags } = parseCli(
        rest,
        { hosts: { type: 'string' }, 'redis-tls': { type: 'boolean' }, 'cassandra-nodes': { type: 'string' }, 'redis-cluster': { type: 'boolean' } },
        z.object({
          hosts: intFlag(1, 1000).optional(),
          'redis-tls': z.boolean().optional(),
          // 1 is the single node alone (the default); 2-9 adds a ring on 127.20.0.1-N beside it.
          'cassandra-nodes': intFlag(1, maxCassandraClusterNodes).optional(),
          'redis-cluster': z.boolean().optional(),
        }),
      );
      const started = Date.now();
      const cassandraNodes = flags['cassandra-nodes'];
      const redisCluster = flags['redis-cluster'] ?? false;
      const { hosts } = await stackUp({ hosts: flags.hosts ?? 5, log, cassandraNodes, redisCluster });
      // A second, TLS-only Redis with an ACL user (6381); the plain one on 6380 is unchanged.
      if (flags['redis-tls']) await redisTlsUp({ log });
      const clusters = [redisCluster ? 'redis cluster (3+3)' : '', cassandraNodes !== undefined && cassandraNodes > 1 ? `cassandra ring of ${cassandraNodes}` : '']
        .filter(Boolean)
        .join(', ');
      console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: redis${flags['redis-tls'] ? ' (+ TLS)' : ''}, cassandra, ${hosts.length} ssh hosts (source .stack/env for the SIMPLECM_* settings)`);
      if (clusters) console.log(`clusters: ${clusters} (source .stack/env-cluster to run SimpleCM on them)`);
      return 0;
    }
    case 'down':
      parseCli(rest, {}, z.object({}));
      await stackDown();
      console.log('stack down: nothing left running');
      return 0;
    case 'status': {
      parseCli(rest, {}, z.object({}));
      const status = await stackStatus();
      console.log(
        formatTable(
          [
            { header: 'component', value: (s) => s.name },
            { header: 'state', value: (s) => (s.running ? 'running' : 'stopped') },
            { header: 'detail', value: (s) => s.detail },
          ],
          status,
        ),
      );
      return 0;
    }
    default:
      throw new ConfigError(usage);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`stack: ${errorMessage(error)}`);
    process.exit(error instanceof ConfigError || error instanceof StackError ? 2 : 1);
  },
);
