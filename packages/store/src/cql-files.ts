import path from 'node:path';

/** The CQL files shipped with SimpleCM: `<repo>/cql`, from packages/store/src (as modules finds `<repo>/modules`). */
export const CQL_DIR = path.resolve(__dirname, '..', '..', '..', 'cql');

/** The base tables, for any keyspace and replication (`{{keyspace}}`, `{{replication}}`). */
export const schemaFile = path.join(CQL_DIR, 'schema.cql');

/** The schema's versioned changes since the base: `NNNN_name.cql`, applied in order after schemaFile. */
export const migrationsDir = path.join(CQL_DIR, 'migrations');
