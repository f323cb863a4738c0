import type { Client } from 'cassandra-driver';
import fs from 'node:fs';
import { schemaFile } from './cql-files';

/** Splits a CQL file into statements: whole-line `--` comments dropped, `;` at line end terminates. */
export function cqlStatements(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .map((line) => line.replace(/^\s*--.*$/, ''))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const keyspacePattern = /^[a-z][a-z0-9_]{0,47}$/;

/** Creates the keyspace and tables if absent (idempotent). */
export async function applySchema(client: Client, keyspace: string, replication: string): Promise<void> {
  if (!keyspacePattern.test(keyspace)) throw new Error(`invalid keyspace name "${keyspace}": lower case letters, digits, underscores`);
  const text = fs.readFileSync(schemaFile, 'utf8').replaceAll('{{keyspace}}', keyspace).replaceAll('{{replication}}', replication);
  for (const statement of cqlStatements(text)) {
    await client.execute(statement, [], { prepare: false });
  }
}

/** Runs a CQL file of data statements (seed data) in the given keyspace. */
export async function applyCqlFile(client: Client, keyspace: string, file: string, rewrite: (cql: string) => string = (cql) => cql): Promise<number> {
  const statements = cqlStatements(rewrite(fs.readFileSync(file, 'utf8').replaceAll('{{keyspace}}', keyspace)));
  for (const statement of statements) await client.execute(statement, [], { prepare: false });
  return statements.length;
}
