/**
 * A PostgreSQL event store for Eventfold, on `pg`: one-round-trip appends, a gap-free `readAll`
 * ordered by transaction id, `LISTEN`/`NOTIFY` wake-ups, transactions shared by inbox,
 * checkpoints and your own SQL, and versioned migrations.
 * @module
 */
export type { MigrationResult } from './internal/migrate.js';
export type { MigrationSqlOptions } from './migration-sql.js';
export { migrationSql } from './migration-sql.js';
export type { PositionParts } from './position-parts.js';
export { positionParts } from './position-parts.js';
export type { PostgresEventStore, PostgresEventStoreOptions, PostgresPoolOptions } from './postgres-event-store.js';
export { postgresEventStore } from './postgres-event-store.js';
export type {
  PostgresNotification,
  PostgresPool,
  PostgresPoolClient,
  PostgresQueryConfig,
  PostgresQueryResult,
} from './postgres-pool.js';
export type { PostgresInbox, PostgresTransaction, PostgresTransactionInbox } from './postgres-transaction.js';
export type { VisibilityBlocker, VisibilityLag } from './visibility.js';
