import { bootstrapSql } from './internal/migrate.js';
import { MIGRATIONS } from './internal/migrations.js';
import { assertSchemaName, DEFAULT_SCHEMA, migrationLockKey } from './internal/sql.js';

/** Options of {@link migrationSql}. */
export interface MigrationSqlOptions {
  /** @defaultValue `'eventfold'` */
  schema?: string;
  /** The schema version the database is at now (see `<schema>.migrations`); only later migrations are printed. @defaultValue 0 */
  fromVersion?: number;
}

/**
 * The SQL that `migrate()` runs, as one script a DBA can review and apply with `psql`
 * (then create stores with `migrate: false`). It runs in one transaction, under the same
 * advisory lock as `migrate()`, and records each version in `<schema>.migrations`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('eventfold.sql', migrationSql({ schema: 'billing' }));
 * // psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f eventfold.sql
 * ```
 * @throws `ConfigurationError` for an invalid schema name.
 */
export function migrationSql(options: MigrationSqlOptions = {}): string {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const from = options.fromVersion ?? 0;
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const parts = [
    `-- @eventfold/store-postgres: schema "${schema}", migrations after version ${from}`,
    'begin;',
    `select pg_advisory_xact_lock(hashtextextended(${quote(migrationLockKey(schema))}, 0));`,
    bootstrapSql(schema),
  ];
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue;
    parts.push(
      `-- migration ${migration.version}: ${migration.name}`,
      migration.sql(schema).trim(),
      `insert into "${schema}".migrations (version, name) values (${migration.version}, ${quote(migration.name)});`,
    );
  }
  parts.push('commit;', '');
  return parts.join('\n');
}
