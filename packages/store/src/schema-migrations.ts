import type { Client } from 'cassandra-driver';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SimpleCmError } from '@simplecm/kernel';

/** A migration file: `cql/migrations/NNNN_name.cql`. */
export interface Migration {
  readonly version: number;
  /** The file name, `0001_bucketed_run_hosts.cql`. */
  readonly name: string;
  readonly file: string;
  /** SHA-256 (hex) of the file's text: recorded when applied, compared on every later apply. */
  readonly checksum: string;
}

/** A migrations folder that cannot be applied as it is: a misnamed file, a repeated version, an applied migration changed since. */
export class SchemaMigrationError extends SimpleCmError<'bad-migration-file' | 'duplicate-migration' | 'migration-changed'> {
  override readonly name = 'SchemaMigrationError';
  constructor(
    readonly code: 'bad-migration-file' | 'duplicate-migration' | 'migration-changed',
    message: string,
  ) {
    super(message);
  }
}

const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.cql$/;

/** The migrations in `dir`, by version; every `.cql` file there must be named NNNN_name.cql, one per version. */
export function listMigrations(dir: string): Migration[] {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.cql')) : [];
  const migrations = names.map((name) => {
    const match = FILE_PATTERN.exec(name);
    if (!match) throw new SchemaMigrationError('bad-migration-file', `${path.join(dir, name)}: a migration is named NNNN_name.cql (four digits, lower-case name)`);
    const file = path.join(dir, name);
    return { version: Number(match[1]), name, file, checksum: createHash('sha256').update(fs.readFileSync(file)).digest('hex') };
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) throw new SchemaMigrationError('duplicate-migration', `${dir}: ${migrations[i - 1]!.name} and ${migrations[i]!.name} have the same version`);
  }
  return migrations;
}

/** What one apply of the migrations did. */
export interface MigrationReport {
  /** Migrations applied now, in order. */
  readonly applied: readonly Migration[];
  /** Migrations found already applied (recorded in schema_migrations), skipped. */
  readonly skipped: readonly Migration[];
}

/**
 * Applies the migrations not yet recorded in `keyspace.schema_migrations`, in version order, each
 * recorded once all its statements have run; those recorded are skipped, so applying again is a
 * no-op. A recorded migration whose file has changed since is refused before anything runs.
 *
 * Cassandra has no transactional DDL: a migration cut off half-way is run again from its first
 * statement next time, and two processes applying at once both run it. So a migration holds only
 * statements that are no-ops when repeated (`CREATE … IF NOT EXISTS`, `ALTER … ADD IF NOT EXISTS`).
 * `runStatements` runs one file's statements (schema.ts: placeholders filled in, split).
 */
export async function applyMigrations(
  client: Client,
  keyspace: string,
  migrations: readonly Migration[],
  runStatements: (file: string) => Promise<void>,
): Promise<MigrationReport> {
  const rows = (await client.execute(`SELECT version, name, checksum FROM ${keyspace}.schema_migrations`, [], { prepare: true })).rows;
  const recorded = new Map(rows.map((r) => [Number(r.get('version')), { name: String(r.get('name')), checksum: String(r.get('checksum')) }]));
  for (const m of migrations) {
    const was = recorded.get(m.version);
    if (was !== undefined && was.checksum !== m.checksum) {
      throw new SchemaMigrationError('migration-changed', `keyspace ${keyspace}: migration ${m.name} was applied as ${was.name} with a different content (sha256 ${was.checksum.slice(0, 12)}, now ${m.checksum.slice(0, 12)}); a migration applied anywhere is never edited: add a new one`);
    }
  }
  const applied: Migration[] = [];
  const skipped: Migration[] = [];
  for (const m of migrations) {
    if (recorded.has(m.version)) {
      skipped.push(m);
      continue;
    }
    await runStatements(m.file);
    await client.execute(`INSERT INTO ${keyspace}.schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`, [m.version, m.name, m.checksum, new Date()], { prepare: true });
    applied.push(m);
  }
  return { applied, skipped };
}
