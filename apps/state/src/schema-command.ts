import { z } from 'zod';
import { applySchema } from '@simplecm/store';
import { ExitCode, parseCommand, type Command } from './command';
import { withFleet } from './fleet-store';

/** `schema`: brings the keyspace to the current schema (also done by apply and seed). */
export const schemaCommand: Command = {
  summary: 'create the keyspace and tables, and apply the schema migrations not yet applied',
  help: `usage: state schema

Creates the keyspace (SIMPLECM_KEYSPACE, with SIMPLECM_CASSANDRA_REPLICATION) and the base tables
(cql/schema.cql) where absent, then applies each migration of cql/migrations/ (NNNN_name.cql) the
keyspace has not had yet, in order, and records it in the keyspace's schema_migrations table.
Prints the migrations applied. Running it again applies nothing. "state apply" and "state seed"
do the same first. A migration recorded as applied whose file has changed since is refused
(exit 3, nothing applied).`,
  async run(argv, env) {
    parseCommand(argv, {}, z.object({}), []);
    const report = await withFleet(env, ({ client, config }) => applySchema(client, config.keyspace, config.replication).then((r) => ({ ...r, keyspace: config.keyspace })));
    for (const m of report.applied) console.log(`applied migration ${m.name}`);
    const total = report.applied.length + report.skipped.length;
    console.log(`keyspace ${report.keyspace}: schema up to date (${total} migration${total === 1 ? '' : 's'}, ${report.applied.length} applied now)`);
    return ExitCode.ok;
  },
};
