import type { PostgresPool } from '../postgres-pool.js';
import { classifyError } from './classify-error.js';
import { checkOut, releaseClient } from './executor.js';
import { LATEST_VERSION, MIGRATIONS } from './migrations.js';
import { ident, migrationLockKey } from './sql.js';

/** What `migrate()` did. */
export interface MigrationResult {
  /** The schema version before. 0 for a new schema. */
  readonly fromVersion: number;
  /** The schema version now. */
  readonly toVersion: number;
  /** Versions applied by this call (empty when another process got there first). */
  readonly applied: readonly number[];
}

/** The statements that create the schema and its migrations table, idempotently. */
export function bootstrapSql(schema: string): string {
  const s = ident(schema);
  return `create schema if not exists ${s};
create table if not exists ${s}.migrations (
  version integer primary key,
  name text not null,
  applied_at timestamptz not null default now()
);`;
}

/**
 * Brings a schema to the latest version in one transaction. Concurrent callers (several processes
 * starting at once) queue on a transaction-scoped advisory lock keyed by the schema; the first
 * applies the migrations, the others find them applied.
 */
export async function migrateSchema(pool: PostgresPool, schema: string): Promise<MigrationResult> {
  let client: Awaited<ReturnType<PostgresPool['connect']>> | undefined;
  let failure: unknown;
  try {
    client = await checkOut(pool);
    // Fast path without a lock or a transaction: most calls find the schema current.
    const current = await client
      .query({ text: `select coalesce(max(version), 0) as version from ${ident(schema)}.migrations` })
      .then((result) => Number((result.rows[0] as { version: number }).version))
      .catch(() => -1);
    if (current === LATEST_VERSION) return { fromVersion: current, toVersion: current, applied: [] };

    await client.query({ text: 'begin' });
    try {
      await client.query({ text: 'select pg_advisory_xact_lock(hashtextextended($1, 0))', values: [migrationLockKey(schema)] });
      await client.query({ text: bootstrapSql(schema) });
      const { rows } = await client.query({ text: `select version from ${ident(schema)}.migrations` });
      const done = new Set(rows.map((row: { version: number }) => Number(row.version)));
      const fromVersion = Math.max(0, ...done);
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        await client.query({ text: migration.sql(schema) });
        await client.query({
          text: `insert into ${ident(schema)}.migrations (version, name) values ($1, $2)`,
          values: [migration.version, migration.name],
        });
        applied.push(migration.version);
      }
      await client.query({ text: 'commit' });
      return { fromVersion, toVersion: Math.max(fromVersion, ...applied), applied };
    } catch (error) {
      await client.query({ text: 'rollback' }).catch(() => undefined);
      throw error;
    }
  } catch (error) {
    failure = error;
    throw classifyError(error, { operation: 'migrate' });
  } finally {
    if (client !== undefined) releaseClient(client, failure);
  }
}
