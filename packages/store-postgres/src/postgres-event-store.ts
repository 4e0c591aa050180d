import { ConfigurationError, type EventStore, type StoreCapabilities } from '@eventfold/core';
import pg from 'pg';
import { appendGroups } from './internal/append-groups.js';
import { appendNotifier } from './internal/append-notifier.js';
import { commitSignal } from './internal/commit-signal.js';
import { appendEvents, type EventLimits, encodeAppend, readAllEvents, readHeadPosition, readStreamEvents } from './internal/events.js';
import { type Executor, poolExecutor } from './internal/executor.js';
import { postgresInbox, transactionInbox } from './internal/inbox.js';
import { type MigrationResult, migrateSchema } from './internal/migrate.js';
import { postgresCheckpointStore, postgresLeaseStore, postgresSnapshotStore } from './internal/side-stores.js';
import { assertSchemaName, DEFAULT_SCHEMA, ident, notifyChannel } from './internal/sql.js';
import { statements } from './internal/statements.js';
import { transactionRunner } from './internal/transactions.js';
import { readVisibilityBlockers, readVisibilityLag, visibilityStatements } from './internal/visibility-queries.js';
import type { PostgresPool } from './postgres-pool.js';
import type { PostgresInbox, PostgresTransaction } from './postgres-transaction.js';
import type { VisibilityBlocker, VisibilityLag } from './visibility.js';

/** Settings of the pool the store creates from `connectionString` (passed to `new pg.Pool`). */
export interface PostgresPoolOptions {
  /** Most connections. @defaultValue 10 */
  max?: number;
  /** How long a call waits for a free connection before it fails with `StoreUnavailableError`. @defaultValue 10_000 */
  connectionTimeoutMillis?: number;
  /** How long an idle connection stays open. @defaultValue 10_000 */
  idleTimeoutMillis?: number;
  /** Shown in `pg_stat_activity.application_name`. @defaultValue `'eventfold'` */
  application_name?: string;
}

/** Most events in one group of appends (`appendConcurrency`); a larger append goes alone. */
const GROUP_MAX_EVENTS = 1_000;

/** Options of {@link postgresEventStore}. Give `pool` or `connectionString`. */
export interface PostgresEventStoreOptions {
  /** A `pg` Pool. The store never ends it: `close()` leaves it to you. */
  pool?: PostgresPool;
  /** Creates (and on `close()` ends) a pool of its own. */
  connectionString?: string;
  /** Settings of the pool made from `connectionString`. */
  poolOptions?: PostgresPoolOptions;
  /** Schema holding the store's tables: lower-case letters, digits and `_`. @defaultValue `'eventfold'` */
  schema?: string;
  /** Run `migrate()` before the first operation. Turn off when a DBA applies {@link migrationSql} instead. @defaultValue true */
  migrate?: boolean;
  /** Largest data + metadata of one event, in bytes of JSON; bigger events are a `ValidationError`, checked before sending. @defaultValue 1_048_576 */
  maxEventBytes?: number;
  /** Most events one `readAll` call returns, whatever `limit` asks. @defaultValue 1_000 */
  readBatchSize?: number;
  /**
   * Longest delay between an append's commit and the NOTIFY that wakes `onAppend` listeners (in
   * every process). Commits within it share one NOTIFY, so a busy store sends at most one per
   * interval. 0 sends one per commit, or per burst of commits that overlap it. @defaultValue 5
   */
  notifyIntervalMs?: number;
  /** Use named prepared statements. Turn off behind a pooler in transaction mode (PgBouncer < 1.21). @defaultValue true */
  preparedStatements?: boolean;
  /**
   * Group commit: the most append statements this store runs at once outside transactions.
   * Appends that arrive while that many run wait, and then go together, one per stream, in one
   * statement and one transaction, so a busy process pays one round trip and one commit for many
   * appends. Each is still checked on its own and gets the result or error it would have had
   * alone; one that fails its check, or waits for a stream another transaction holds, does not
   * hold up the others. A group commits as one: an acknowledged append is always whole, and a
   * failed commit fails the group's appends. A lone append goes at once, so a single writer sees
   * no difference. Lower gives bigger groups; `Infinity` sends every append on its own. Only with
   * `preparedStatements` (without them every append runs the append function).
   * @defaultValue 2
   */
  appendConcurrency?: number;
}

/** The PostgreSQL event store: the `EventStore` port, plus transactions, migrations and ordering diagnostics. */
export interface PostgresEventStore extends EventStore {
  readonly inbox: PostgresInbox;
  /** The schema the store lives in. */
  readonly schema: string;
  /** The pool the store runs on: the escape hatch for your own SQL outside a transaction. */
  readonly pool: PostgresPool;
  /** Creates or upgrades the schema. Safe to run from several processes at once. */
  migrate(): Promise<MigrationResult>;
  /**
   * Runs `work` in one transaction and commits when it resolves (rolls back when it throws). Every
   * store call made inside `work` joins the transaction, including `inbox.runOnce` and the
   * checkpoint writes of core's projections; a `transaction` inside another is a savepoint.
   * Keep it short: while it has written anything, readers of `readAll` cannot see past it.
   */
  transaction<T>(work: (tx: PostgresTransaction) => Promise<T>): Promise<T>;
  /** The transaction the calling code runs in, if any: how handlers called by core reach it. */
  currentTransaction(): PostgresTransaction | undefined;
  /** How far readers lag behind the newest committed event (the visibility horizon). */
  visibilityLag(): Promise<VisibilityLag>;
  /** The running transactions that hold readers back, oldest first: see them when `visibilityLag` grows. */
  visibilityBlockers(): Promise<VisibilityBlocker[]>;
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(`[@eventfold/store-postgres] Option \`${name}\` must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

function openPool(options: PostgresEventStoreOptions): { pool: PostgresPool; owned: boolean } {
  if (options.pool !== undefined) {
    if (options.connectionString !== undefined) {
      throw new ConfigurationError('[@eventfold/store-postgres] Give either `pool` or `connectionString`, not both.');
    }
    if (typeof options.pool.connect !== 'function') {
      throw new ConfigurationError('[@eventfold/store-postgres] Option `pool` must be a pg Pool (it has no connect()).');
    }
    return { pool: options.pool, owned: false };
  }
  if (typeof options.connectionString !== 'string' || options.connectionString === '') {
    throw new ConfigurationError(
      '[@eventfold/store-postgres] Option `pool` is required: pass a pg Pool, or a `connectionString` for the store to open its own.',
    );
  }
  const pool = new pg.Pool({
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 10_000,
    application_name: 'eventfold',
    ...options.poolOptions,
    connectionString: options.connectionString,
  });
  // An idle connection that breaks (server restart) is dropped by the pool; without a listener
  // its 'error' event would crash the process.
  pool.on('error', () => undefined);
  return { pool, owned: true };
}

/**
 * An event store in PostgreSQL, on `pg`. Appends take one round trip whatever their size;
 * `readAll` is gap-free (it never returns an event past a transaction still running), and
 * subscribers are woken by `LISTEN`/`NOTIFY`. Creates its schema on first use.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { postgresEventStore } from '@eventfold/store-postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = postgresEventStore({ pool, schema: 'billing' });
 * await store.append('invoice-42', [{ type: 'invoice.issued', data: { total: 120 } }], { expectedVersion: 'no-stream' });
 * const events = await store.readStream('invoice-42');
 * ```
 * @throws `ConfigurationError` for missing or invalid options.
 */
export function postgresEventStore(options: PostgresEventStoreOptions): PostgresEventStore {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('[@eventfold/store-postgres] Option `pool` is required: pass a pg Pool.');
  }
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const limits: EventLimits = {
    maxEventBytes: positiveInteger(options.maxEventBytes, 'maxEventBytes', 1_048_576),
    readBatchSize: positiveInteger(options.readBatchSize, 'readBatchSize', 1_000),
  };
  const prepare = options.preparedStatements ?? true;
  const notifyIntervalMs = options.notifyIntervalMs ?? 5;
  if (!(Number.isFinite(notifyIntervalMs) && notifyIntervalMs >= 0)) {
    throw new ConfigurationError(
      `[@eventfold/store-postgres] Option \`notifyIntervalMs\` must be a number >= 0, got ${String(notifyIntervalMs)}.`,
    );
  }
  const appendConcurrency = options.appendConcurrency ?? 2;
  if (!(appendConcurrency === Number.POSITIVE_INFINITY || (Number.isInteger(appendConcurrency) && appendConcurrency >= 1))) {
    throw new ConfigurationError(
      `[@eventfold/store-postgres] Option \`appendConcurrency\` must be an integer >= 1 or Infinity, got ${String(appendConcurrency)}.`,
    );
  }
  const { pool, owned } = openPool(options);
  const sql = statements(schema);
  const visibilitySql = visibilityStatements(schema);
  const onPool = poolExecutor(pool, prepare);
  const notifier = appendNotifier(pool, notifyChannel(schema));
  const capabilities: StoreCapabilities = { transactions: true, appendNotifications: true };
  let closed = false;
  let migrated = options.migrate === false;
  let migrating: Promise<unknown> | undefined;

  const signal = commitSignal(onPool, sql.notify, notifyChannel(schema), notifyIntervalMs);
  const groups = appendGroups(onPool, sql, () => committed(), { concurrency: appendConcurrency, maxEvents: GROUP_MAX_EVENTS });
  const transactions = transactionRunner(
    pool,
    prepare,
    `begin; select ${ident(schema)}.begin_appends()`,
    (active, query): PostgresTransaction => {
      const { executor, client } = active;
      const source = () => executor;
      const wrote = () => {
        active.appended = true;
      };
      return {
        append: (streamId, events, appendOptions) => appendEvents(executor, sql, limits, streamId, events, appendOptions, wrote),
        readStream: (streamId, readOptions = {}) => readStreamEvents(executor, sql, streamId, readOptions),
        snapshots: postgresSnapshotStore(source, sql),
        checkpoints: postgresCheckpointStore(source, sql),
        leases: postgresLeaseStore(source, sql),
        inbox: transactionInbox(executor, sql),
        query,
        client,
      };
    },
    (active) => {
      if (active.appended) committed();
    },
  );

  /** After an append wrote: signal now, or when the caller's transaction commits. */
  function wrote(): void {
    const active = transactions.current();
    if (active === undefined) committed();
    else active.appended = true;
  }

  /** Other processes hear of a commit through NOTIFY; this one's listeners at once. */
  function committed(): void {
    signal.send();
    notifier.committedHere();
  }

  /** The executor for a call now: the caller's open transaction, or the pool. */
  function executor(): Executor {
    return transactions.current()?.executor ?? onPool;
  }

  function assertOpen(): void {
    if (closed) throw new ConfigurationError('[@eventfold/store-postgres] The store was used after close(). Create a new one.');
  }

  function migrate(): Promise<MigrationResult> {
    assertOpen();
    return migrateSchema(pool, schema).then((result) => {
      migrated = true;
      return result;
    });
  }

  /** Settles before the first operation: the schema is migrated once (retried after a failure). */
  async function ready(): Promise<Executor> {
    assertOpen();
    if (!migrated) {
      migrating ??= migrate().finally(() => {
        migrating = undefined;
      });
      await migrating;
    }
    return executor();
  }

  // Side stores wait for the schema on their first call through this source.
  const readySource = (): Executor => ({
    run: async (statement, values) => (await ready()).run(statement, values),
  });

  return {
    capabilities,
    schema,
    pool,
    async append(streamId, events, appendOptions) {
      const on = await ready();
      if (!prepare || on !== onPool) return appendEvents(on, sql, limits, streamId, events, appendOptions, wrote);
      return groups.append(encodeAppend(limits, streamId, events, appendOptions));
    },
    async readStream(streamId, readOptions = {}) {
      return readStreamEvents(await ready(), sql, streamId, readOptions);
    },
    async readAll(readOptions = {}) {
      return readAllEvents(await ready(), sql, limits, readOptions);
    },
    async headPosition() {
      return readHeadPosition(await ready(), sql);
    },
    onAppend(listener) {
      if (closed) return () => undefined;
      return notifier.add(listener);
    },
    snapshots: postgresSnapshotStore(readySource, sql),
    checkpoints: postgresCheckpointStore(readySource, sql),
    leases: postgresLeaseStore(readySource, sql),
    inbox: postgresInbox(readySource, sql, {
      current: transactions.current,
      run: async (work) => {
        await ready();
        return transactions.run(work);
      },
    }),
    migrate,
    async transaction(work) {
      await ready();
      return transactions.run(work);
    },
    currentTransaction: () => transactions.current()?.tx,
    async visibilityLag() {
      return readVisibilityLag(await ready(), visibilitySql);
    },
    async visibilityBlockers() {
      return readVisibilityBlockers(await ready(), visibilitySql);
    },
    async close() {
      if (closed) return;
      closed = true;
      signal.close();
      notifier.close();
      if (owned) await pool.end();
    },
  };
}
