/**
 * The pipeline the failure tests run: the PostgreSQL event store → relay → Kafka → core's idempotent consumer
 * → an effect table in PostgreSQL with a unique key.
 *
 * The consumer's inbox and its effect commit in ONE PostgreSQL transaction (plain `pg`; the
 * transaction reaches the handler through AsyncLocalStorage), so a redelivered message is skipped
 * and its effect can never apply twice. The effect insert is `ON CONFLICT DO UPDATE attempts + 1`:
 * if anything ever applied an effect twice, the table would show it. Each effect row also gets a
 * sequence number at apply time, so the order in which a stream's events took effect can be checked.
 *
 * The source is `@eventfold/store-postgres`. Processes share nothing but PostgreSQL and Kafka: the
 * relay and consumer workers (child processes that the tests SIGKILL) use these same helpers.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  type EventStore,
  type Inbox,
  type InboxOutcome,
  isStoreUnavailableError,
  type NewEvent,
  type RecordedEvent,
  StoreUnavailableError,
} from '@eventfold/core';
import { type PostgresEventStore, postgresEventStore } from '@eventfold/store-postgres';
import pg from 'pg';

/** A schema of its own per suite, dropped at the end. */
export function freshSchema(label: string): string {
  return `ef_kafka_${label}_${randomBytes(4).toString('hex')}`;
}

/** A pool whose broken idle connections never crash the process. */
export function pipelinePool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined);
  return pool;
}

/** Creates the schema and tables (idempotent: workers call it too). */
export async function createPipelineSchema(pool: pg.Pool, schema: string): Promise<void> {
  await whileAvailable(() =>
    pool.query(`
    create schema if not exists ${schema};
    create table if not exists ${schema}.inbox (
      consumer text not null, message_id text not null, skips integer not null default 0,
      primary key (consumer, message_id));
    create table if not exists ${schema}.skips (
      consumer text not null, message_id text not null, skips integer not null default 0,
      primary key (consumer, message_id));
    create table if not exists ${schema}.effects (
      consumer text not null, event_id text not null, stream_id text not null, version integer not null,
      applied_seq bigserial, attempts integer not null default 1,
      primary key (consumer, event_id));
  `),
  );
}

export async function dropPipelineSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`drop schema if exists ${schema} cascade; drop schema if exists ${storeSchemaOf(schema)} cascade`);
}

/**
 * True for a failure of the connection or the server rather than of the statement: PostgreSQL
 * restarting (other suites restart the shared server), a broken socket.
 */
function isConnectionFailure(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code.startsWith('E'))) return true;
  return typeof message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message);
}

/**
 * As a store adapter would: a connection failure becomes a retryable `StoreUnavailableError`, which
 * core's consumer answers by failing the batch (the transport delivers it again) instead of
 * dead-lettering a healthy message.
 */
function unavailable(error: unknown): unknown {
  return isConnectionFailure(error) ? new StoreUnavailableError(`PostgreSQL is unavailable: ${String(error)}`, { cause: error }) : error;
}

/** Runs `work`, again while PostgreSQL is unavailable (restarting), up to `timeoutMs`. */
export async function whileAvailable<T>(work: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!(isConnectionFailure(error) || isStoreUnavailableError(error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The inbox and the effect, sharing one transaction per message. */
export interface PipelineInbox extends Inbox {
  /** Applies the effect of `event` in the current message's transaction. */
  applyEffect(consumer: string, event: RecordedEvent): Promise<void>;
}

/** See {@link PipelineInbox}. */
export function pipelineInbox(pool: pg.Pool, schema: string): PipelineInbox {
  const transaction = new AsyncLocalStorage<pg.PoolClient>();
  return {
    async runOnce(consumer, messageId, work): Promise<InboxOutcome> {
      const client = await pool.connect().catch((error: unknown) => {
        throw unavailable(error);
      });
      let broken = false;
      try {
        await client.query('begin');
        const claimed = await client.query(`insert into ${schema}.inbox (consumer, message_id) values ($1, $2) on conflict do nothing`, [
          consumer,
          messageId,
        ]);
        if (claimed.rowCount === 0) {
          await client.query('rollback');
          await client.query(`update ${schema}.inbox set skips = skips + 1 where consumer = $1 and message_id = $2`, [consumer, messageId]);
          return 'duplicate';
        }
        await transaction.run(client, work);
        await client.query('commit');
        return 'processed';
      } catch (error) {
        await client.query('rollback').catch(() => {
          broken = true;
        });
        throw unavailable(error);
      } finally {
        client.release(broken);
      }
    },
    async has(consumer, messageId) {
      const result = await pool
        .query(`select 1 from ${schema}.inbox where consumer = $1 and message_id = $2`, [consumer, messageId])
        .catch((error: unknown) => {
          throw unavailable(error);
        });
      return (result.rowCount ?? 0) > 0;
    },
    async applyEffect(consumer, event) {
      const client = transaction.getStore();
      if (client === undefined) throw new Error('applyEffect runs only inside inbox.runOnce');
      await client.query(
        `insert into ${schema}.effects (consumer, event_id, stream_id, version) values ($1, $2, $3, $4)
         on conflict (consumer, event_id) do update set attempts = ${schema}.effects.attempts + 1`,
        [consumer, event.id, event.streamId, event.version],
      );
    },
  };
}

/**
 * Applies the effects of a batch of events in one statement, in the given transaction (the store
 * inbox's, in `runBatch`). Rows get their `applied_seq` in the order of `events`.
 */
export async function applyEffects(
  transaction: { query(text: string, values: readonly unknown[]): Promise<unknown> },
  schema: string,
  consumer: string,
  events: readonly RecordedEvent[],
): Promise<void> {
  await transaction.query(
    `insert into ${schema}.effects (consumer, event_id, stream_id, version)
     select $1, u.event_id, u.stream_id, u.version
       from unnest($2::text[], $3::text[], $4::integer[]) with ordinality as u(event_id, stream_id, version, ord) order by u.ord
     on conflict (consumer, event_id) do update set attempts = ${schema}.effects.attempts + 1`,
    [consumer, events.map((event) => event.id), events.map((event) => event.streamId), events.map((event) => event.version)],
  );
}

/**
 * Counts the repeats the store's inbox recognised (it keeps no count of its own), outside its
 * transaction, so the count survives killed processes like the pipeline inbox's does.
 */
export async function noteSkips(pool: pg.Pool, schema: string, consumer: string, messageIds: readonly string[]): Promise<void> {
  if (messageIds.length === 0) return;
  await whileAvailable(() =>
    pool.query(
      `insert into ${schema}.skips (consumer, message_id, skips) select $1, id, count(*) from unnest($2::text[]) as id group by id
       on conflict (consumer, message_id) do update set skips = ${schema}.skips.skips + excluded.skips`,
      [consumer, messageIds],
    ),
  );
}

/**
 * The event store of a pipeline: `@eventfold/store-postgres` in a schema of its own beside the
 * pipeline's tables, so relays in other processes share its log, checkpoints and leases.
 */
export function pipelineStore(pool: pg.Pool, schema: string): PostgresEventStore {
  return postgresEventStore({ pool, schema: storeSchemaOf(schema) });
}

function storeSchemaOf(schema: string): string {
  return `${schema}_es`;
}

/** A UUID-shaped id that is the same in every process for the same number. */
export function deterministicId(index: number): string {
  const hex = index.toString(16).padStart(12, '0');
  return `00000000-0000-7000-8000-${hex}`;
}

/** The events of the scenario, in append order: `count` events over `streams` streams of two categories, round robin. */
export function scenarioEvents(count: number, streams: number): { streamId: string; event: NewEvent }[] {
  return Array.from({ length: count }, (_, index) => {
    const stream = index % streams;
    const category = stream % 2 === 0 ? 'user' : 'registration';
    return {
      streamId: `${category}-s${stream}`,
      event: { id: deterministicId(index), type: `${category}.happened`, data: { index } },
    };
  });
}

/** Appends the scenario's events, `batch` appends in parallel at a time. */
export async function appendScenario(
  store: EventStore,
  events: readonly { streamId: string; event: NewEvent }[],
  batch = 1,
): Promise<void> {
  // One append per event, streams in parallel but each stream in order: a batch never holds two events of one stream.
  for (let start = 0; start < events.length; start += batch) {
    // Appends are idempotent by event id: one interrupted by a server restart is simply made again.
    await Promise.all(
      events.slice(start, start + batch).map(({ streamId, event }) => whileAvailable(() => store.append(streamId, [event]))),
    );
  }
}

/** What the effect table and the inbox say about one consumer. */
export interface EffectSummary {
  /** Distinct effects applied. */
  readonly effects: number;
  /** Effects applied more than once (must be 0). */
  readonly doubled: number;
  /** Messages the inbox processed (handler calls that ran to commit). */
  readonly processed: number;
  /** Redeliveries the inbox skipped. */
  readonly skips: number;
  /** Expected event ids without an effect. */
  readonly missing: string[];
  /** Streams whose effects did not take effect in version order 1, 2, 3… */
  readonly outOfOrder: { streamId: string; versions: number[] }[];
}

/**
 * Reads the effect table and inbox of `consumer`, against the ids that should have taken effect.
 * `inbox: 'store'` reads the records of the store's own inbox and the repeats `noteSkips` counted.
 */
export async function summarise(
  pool: pg.Pool,
  schema: string,
  consumer: string,
  expectedIds: readonly string[],
  inbox: 'pipeline' | 'store' = 'pipeline',
): Promise<EffectSummary> {
  const effects = await whileAvailable(() =>
    pool.query<{ event_id: string; stream_id: string; version: number; attempts: number }>(
      `select event_id, stream_id, version, attempts from ${schema}.effects where consumer = $1 order by applied_seq`,
      [consumer],
    ),
  );
  const counts = await whileAvailable(() =>
    pool.query<{ processed: string; skips: string }>(
      inbox === 'pipeline'
        ? `select count(*) as processed, coalesce(sum(skips), 0) as skips from ${schema}.inbox where consumer = $1`
        : `select (select count(*) from ${storeSchemaOf(schema)}.inbox where consumer = $1) as processed,
                  (select coalesce(sum(skips), 0) from ${schema}.skips where consumer = $1) as skips`,
      [consumer],
    ),
  );
  const applied = new Set(effects.rows.map((row) => row.event_id));
  const versions = new Map<string, number[]>();
  for (const row of effects.rows) versions.set(row.stream_id, [...(versions.get(row.stream_id) ?? []), row.version]);
  return {
    effects: effects.rows.length,
    doubled: effects.rows.filter((row) => row.attempts > 1).length,
    processed: Number(counts.rows[0]?.processed ?? 0),
    skips: Number(counts.rows[0]?.skips ?? 0),
    missing: expectedIds.filter((id) => !applied.has(id)),
    outOfOrder: [...versions]
      .filter(([, seen]) => seen.some((version, index) => version !== index + 1))
      .map(([streamId, seen]) => ({ streamId, versions: seen })),
  };
}

/** Number of effects of `consumer` so far. */
export async function effectCount(pool: pg.Pool, schema: string, consumer: string): Promise<number> {
  const result = await whileAvailable(() =>
    pool.query<{ count: string }>(`select count(*) as count from ${schema}.effects where consumer = $1`, [consumer]),
  );
  return Number(result.rows[0]?.count ?? 0);
}
