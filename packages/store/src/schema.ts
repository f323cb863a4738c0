import type { Client } from 'cassandra-driver';
import fs from 'node:fs';
import { migrationsDir, schemaFile } from './cql-files';
import { applyMigrations, listMigrations, type MigrationReport } from './schema-migrations';

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

/** Where applySchema reads its CQL; the shipped files by default (a test points it elsewhere). */
export interface SchemaFiles {
  readonly schemaFile?: string;
  readonly migrationsDir?: string;
}

/**
 * Brings a keyspace to the current schema (idempotent): creates the keyspace and the base tables
 * if absent (cql/schema.cql), then applies the migrations it has not had yet
 * (cql/migrations/NNNN_name.cql, in order; see schema-migrations.ts). A keyspace made by an
 * older version is migrated; applying again is a no-op.
 */
export async function applySchema(client: Client, keyspace: string, replication: string, files: SchemaFiles = {}): Promise<MigrationReport> {
  if (!keyspacePattern.test(keyspace)) throw new Error(`invalid keyspace name "${keyspace}": lower case letters, digits, underscores`);
  // Listed first: a misnamed or duplicate migration file stops the apply before anything is written.
  const migrations = listMigrations(files.migrationsDir ?? migrationsDir);
  const run = async (file: string) => {
    const text = fs.readFileSync(file, 'utf8').replaceAll('{{keyspace}}', keyspace).replaceAll('{{replication}}', replication);
    for (const statement of cqlStatements(text)) await client.execute(statement, [], { prepare: false });
  };
  await run(files.schemaFile ?? schemaFile);
  return applyMigrations(client, keyspace, migrations, run);
}

/** Runs a CQL file of data statements (seed data) in the given keyspace. */
export async function applyCqlFile(client: Client, keyspace: string, file: string, rewrite: (cql: string) => string = (cql) => cql): Promise<number> {
  const statements = cqlStatements(rewrite(fs.readFileSync(file, 'utf8').replaceAll('{{keyspace}}', keyspace)));
  for (const statement of statements) await client.execute(statement, [], { prepare: false });
  return statements.length;
}
