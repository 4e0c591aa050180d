/**
 * `@eventfold/store-postgres` against the best plain `pg` code doing the same durable work: one
 * transaction per append (an autocommit INSERT; a batch is one multi-row INSERT from arrays), a
 * unique (stream_id, version) index as the concurrency check, a bigserial global position, ~300
 * bytes of JSONB per event, reads with plain SELECTs. The baseline's readAll is the naive
 * `position > $1` (not gap-free): the difference is what the gap-free horizon costs. Each side has
 * its own schema and pool; every throughput measure writes to fresh streams.
 */
import { isConcurrencyError } from '@eventfold/core';
import { postgresEventStore } from '@eventfold/store-postgres';
import pg from 'pg';
import type { Suite, Workload } from '../harness.js';
import { orderPayload } from '../order-payload.js';

type Pool = InstanceType<typeof pg.Pool>;
type Store = ReturnType<typeof postgresEventStore>;

const url = process.env.DATABASE_URL;
const ours = `bench_ours_${process.pid}`;
const plain = `bench_plain_${process.pid}`;
const catchUpEvents = Number(process.env.BENCH_PG_CATCHUP_EVENTS ?? 1_000_000);
let oursPool: Pool;
let plainPool: Pool;
let store: Store;
let run = 0;

const events = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({ type: 'order.placed', data: orderPayload(from + i) }));

async function rate(count: number, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return count / ((performance.now() - started) / 1000);
}

async function median(work: () => Promise<void>, repeat: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

async function inParallel(writers: number, perWriter: number, work: (writer: number, index: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let index = 0; index < perWriter; index++) await work(writer, index);
    }),
  );
}

// --- the baseline: hand-written pg -------------------------------------------------------------

const plainSql = {
  insert: `insert into ${plain}.events (stream_id, version, event_id, type, data, metadata) values ($1, $2, $3, $4, $5, '{}')`,
  insertMany: `insert into ${plain}.events (stream_id, version, event_id, type, data, metadata)
    select $1, $2 + u.ord, u.id, u.type, u.data, '{}' from unnest($3::uuid[], $4::text[], $5::jsonb[]) with ordinality as u(id, type, data, ord)`,
  readStream: `select position, version, event_id, type, data, metadata, recorded_at from ${plain}.events where stream_id = $1 and version > $2 order by version`,
  readAll: `select position, stream_id, version, event_id, type, data, metadata, recorded_at from ${plain}.events where position > $1 order by position limit $2`,
  version: `select coalesce(max(version), 0) as version from ${plain}.events where stream_id = $1`,
  snapshot: `select version, state from ${plain}.snapshots where stream_id = $1`,
};

async function plainQuery(text: string, values: unknown[], name: string) {
  const client = await plainPool.connect();
  try {
    return await client.query({ name, text, values });
  } finally {
    client.release();
  }
}

const plainAppend = (streamId: string, version: number, i: number) =>
  plainQuery(plainSql.insert, [streamId, version, crypto.randomUUID(), 'order.placed', orderPayload(i)], 'insert');

const plainAppendMany = (streamId: string, after: number, count: number, from = 0) =>
  plainQuery(
    plainSql.insertMany,
    [
      streamId,
      after,
      Array.from({ length: count }, () => crypto.randomUUID()),
      Array.from({ length: count }, () => 'order.placed'),
      Array.from({ length: count }, (_, i) => JSON.stringify(orderPayload(from + i))),
    ],
    'insert_many',
  );

// --- workloads -----------------------------------------------------------------------------------

function newStreams(writers: number, perWriter: number): Workload {
  return {
    name: `append-1-event-new-streams-${writers}-writer${writers === 1 ? '' : 's'}`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: () => {
      const r = run++;
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (w, i) => {
          await store.append(`order-${r}x${w}x${i}`, events(1, i), { expectedVersion: 'no-stream' });
        }),
      );
    },
    baseline: () => {
      const r = run++;
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (w, i) => {
          await plainAppend(`order-${r}x${w}x${i}`, 1, i);
        }),
      );
    },
  };
}

function existingStreams(writers: number, perWriter: number): Workload {
  return {
    name: `append-1-event-existing-streams-expected-version-${writers}-writers`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: async () => {
      const r = run++;
      await inParallel(writers, 1, async (w) => void (await store.append(`order-${r}x${w}`, events(1))));
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (w, i) => {
          await store.append(`order-${r}x${w}`, events(1, i), { expectedVersion: i + 1 });
        }),
      );
    },
    baseline: async () => {
      const r = run++;
      await inParallel(writers, 1, async (w) => void (await plainAppend(`order-${r}x${w}`, 1, 0)));
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (w, i) => {
          await plainAppend(`order-${r}x${w}`, i + 2, i);
        }),
      );
    },
  };
}

function batches(writers: number, perWriter: number, size: number): Workload {
  return {
    name: `append-${size}-event-batches-${writers}-writer${writers === 1 ? '' : 's'}`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: () => {
      const r = run++;
      return rate(writers * perWriter * size, () =>
        inParallel(writers, perWriter, async (w, i) => {
          await store.append(`order-${r}x${w}`, events(size, i * size), { expectedVersion: i * size });
        }),
      );
    },
    baseline: () => {
      const r = run++;
      return rate(writers * perWriter * size, () =>
        inParallel(writers, perWriter, async (w, i) => {
          await plainAppendMany(`order-${r}x${w}`, i * size, size, i * size);
        }),
      );
    },
  };
}

async function seedStream(streamId: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += 100) {
    await store.append(streamId, events(Math.min(100, count - done), done), { expectedVersion: done });
    await plainAppendMany(streamId, done, Math.min(100, count - done), done);
  }
}

function loadAggregate(count: number): Workload {
  const streamId = `order-load${count}`;
  let seeded = false;
  const seed = async () => {
    if (!seeded) await seedStream(streamId, count);
    seeded = true;
  };
  return {
    name: `load-${count}-event-aggregate`,
    metric: 'latency-p50',
    unit: 'ms',
    higherIsBetter: false,
    ours: async () => {
      await seed();
      return median(async () => {
        if ((await store.readStream(streamId)).length !== count) throw new Error('short read');
      }, 15);
    },
    baseline: async () => {
      await seed();
      return median(async () => {
        if ((await plainQuery(plainSql.readStream, [streamId, 0], 'read_stream')).rows.length !== count) throw new Error('short read');
      }, 15);
    },
  };
}

function loadWithSnapshots(count: number, every: number): Workload {
  const streamId = `order-snap${count}`;
  const snapshotAt = Math.floor((count - 1) / every) * every; // the newest snapshot the policy would have taken
  let seeded = false;
  const seed = async () => {
    if (seeded) return;
    await seedStream(streamId, count);
    const state = { placed: snapshotAt, total: snapshotAt * 43, customers: ['Ada Lovelace'] };
    await store.snapshots.put({ streamId, version: snapshotAt, schemaVersion: 1, state, takenAt: new Date() });
    await plainPool.query(`insert into ${plain}.snapshots values ($1, $2, $3)`, [streamId, snapshotAt, state]);
    seeded = true;
  };
  return {
    name: `load-${count}-event-aggregate-snapshot-every-${every}`,
    metric: 'latency-p50',
    unit: 'ms',
    higherIsBetter: false,
    ours: async () => {
      await seed();
      return median(async () => {
        const snapshot = await store.snapshots.get(streamId);
        const rest = await store.readStream(streamId, { fromVersion: (snapshot?.version ?? 0) + 1 });
        if ((snapshot?.version ?? 0) + rest.length !== count) throw new Error('short read');
      }, 15);
    },
    baseline: async () => {
      await seed();
      return median(async () => {
        const snapshot = (await plainQuery(plainSql.snapshot, [streamId], 'snapshot')).rows[0] as { version: number } | undefined;
        const rest = await plainQuery(plainSql.readStream, [streamId, snapshot?.version ?? 0], 'read_stream');
        if ((snapshot?.version ?? 0) + rest.rows.length !== count) throw new Error('short read');
      }, 15);
    },
  };
}

function catchUp(count: number): Workload {
  let seeded = false;
  const seed = async () => {
    if (seeded) return;
    const started = performance.now();
    // Through the store and the plain insert alike, 100-event appends from 8 writers.
    const appends = Math.ceil(count / 100);
    const writers = 8;
    await inParallel(writers, Math.ceil(appends / writers), async (w, i) => {
      const n = w * Math.ceil(appends / writers) + i;
      if (n >= appends) return;
      await store.append(`catchup-${n}`, events(100, n * 100), { expectedVersion: 'no-stream' });
      await plainAppendMany(`catchup-${n}`, 0, 100, n * 100);
    });
    console.log(`  (seeded ${count} events on each side in ${Math.round((performance.now() - started) / 1000)} s)`);
    seeded = true;
  };
  return {
    name: `read-all-catch-up-${count}-events-pages-of-1000`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: async () => {
      await seed();
      let read = 0;
      const measured = await rate(count, async () => {
        for (let after = 0n; ; ) {
          const page = await store.readAll({ after, limit: 1000 });
          if (page.length === 0) return;
          read += page.length;
          after = (page[page.length - 1] as { position: bigint }).position;
        }
      });
      return (measured * read) / count;
    },
    baseline: async () => {
      await seed();
      let read = 0;
      const measured = await rate(count, async () => {
        for (let after = '0'; ; ) {
          const { rows } = await plainQuery(plainSql.readAll, [after, 1000], 'read_all');
          if (rows.length === 0) return;
          read += rows.length;
          after = (rows[rows.length - 1] as { position: string }).position;
        }
      });
      return (measured * read) / count;
    },
  };
}

/** The contended workload's target: each writer's every append stored once, versions 1..n without a gap. */
async function assertEveryAppendOnce(streamId: string, writers: number, perWriter: number): Promise<void> {
  const stored = await store.readStream(streamId);
  const gap = stored.findIndex((event, index) => event.version !== index + 1);
  const perIndex = new Map<string, number>();
  for (const event of stored) {
    const orderId = (event.data as { orderId: string }).orderId;
    perIndex.set(orderId, (perIndex.get(orderId) ?? 0) + 1);
  }
  const wrongCounts = [...perIndex.values()].filter((count) => count !== writers).length;
  if (stored.length !== writers * perWriter || gap !== -1 || perIndex.size !== perWriter || wrongCounts > 0) {
    throw new Error(
      `${streamId}: ${stored.length} events stored for ${writers * perWriter} appends (first gap at ${gap}, ${wrongCounts} indexes lost or doubled)`,
    );
  }
}

function contended(writers: number, perWriter: number): Workload {
  return {
    name: `append-1-event-one-stream-${writers}-writers-with-retries`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: async () => {
      const streamId = `order-hot${run++}`;
      const throughput = await rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (_, i) => {
          for (let expected = 0; ; ) {
            try {
              await store.append(streamId, events(1, i), { expectedVersion: expected });
              return;
            } catch (error) {
              if (!isConcurrencyError(error)) throw error;
              expected = error.actual;
            }
          }
        }),
      );
      await assertEveryAppendOnce(streamId, writers, perWriter);
      return throughput;
    },
    baseline: () => {
      const streamId = `order-hot${run++}`;
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (_, i) => {
          for (let expected = 0; ; ) {
            try {
              await plainAppend(streamId, expected + 1, i);
              return;
            } catch (error) {
              if ((error as { code?: string }).code !== '23505') throw error;
              expected = Number((await plainQuery(plainSql.version, [streamId], 'version')).rows[0].version);
            }
          }
        }),
      );
    },
  };
}

const suite: Suite = {
  name: 'store-postgres',
  baseline:
    'plain pg: autocommit INSERT per append (multi-row from arrays for batches), unique (stream_id, version), bigserial position, plain SELECTs',
  async facts() {
    const setting = async (name: string) => String((await plainPool.query(`select current_setting($1) as v`, [name])).rows[0].v);
    return {
      server: String((await plainPool.query('select version() as v')).rows[0].v).split(' on ')[0] ?? '',
      fsync: await setting('fsync'),
      synchronous_commit: await setting('synchronous_commit'),
      wal_sync_method: await setting('wal_sync_method'),
      shared_buffers: await setting('shared_buffers'),
    };
  },
  async setup() {
    if (!url) throw new Error('DATABASE_URL is not set: bash scripts/services up postgres && eval "$(bash scripts/services env)"');
    oursPool = new pg.Pool({ connectionString: url, max: 20 });
    plainPool = new pg.Pool({ connectionString: url, max: 20 });
    for (const pool of [oursPool, plainPool]) pool.on('error', () => undefined);
    store = postgresEventStore({ pool: oursPool, schema: ours });
    await store.migrate();
    await plainPool.query(`create schema ${plain}`);
    await plainPool.query(`create table ${plain}.events (
      position bigserial primary key, stream_id text not null, version integer not null, event_id uuid not null,
      type text not null, data jsonb not null, metadata jsonb not null, recorded_at timestamptz not null default now(),
      unique (stream_id, version))`);
    await plainPool.query(`create table ${plain}.snapshots (stream_id text primary key, version integer not null, state jsonb not null)`);
  },
  async teardown() {
    await store?.close();
    await plainPool?.query(`drop schema if exists ${ours} cascade`).catch(() => undefined);
    await plainPool?.query(`drop schema if exists ${plain} cascade`).catch(() => undefined);
    await oursPool?.end();
    await plainPool?.end();
  },
  async workloads() {
    return [
      newStreams(1, 1_000),
      newStreams(16, 200),
      existingStreams(16, 200),
      batches(1, 100, 100),
      loadAggregate(1_000),
      loadWithSnapshots(10_000, 100),
      contended(16, 20),
      catchUp(catchUpEvents),
    ];
  },
};

export default suite;
