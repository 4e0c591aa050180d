import { type AppendResult, isStoreUnavailableError, type NewEvent, uuidv7 } from '@eventfold/core';
import { type PostgresEventStore, postgresEventStore } from '@eventfold/store-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  freshSchema,
  gate,
  isManagedByScript,
  requirePostgresUrl,
  servicesScript,
  setupOrFailEach,
  testPool,
  waitFor,
} from '../test/support.js';

// What callers see when the server, a backend or the pool fails, and that nothing is ever half
// written. The restart test restarts the shared test server (scripts/services restart postgres).

const schema = freshSchema('failures');
let url: string;

setupOrFailEach(async () => {
  url = await requirePostgresUrl();
  const pool = await testPool({ max: 2 });
  await postgresEventStore({ pool, schema }).migrate();
  await pool.end();
});

afterAll(async () => {
  await dropSchema(schema);
});

const events = (count: number): (NewEvent & { id: string })[] =>
  Array.from({ length: count }, (_, index) => ({ id: uuidv7(), type: 'item.created', data: { index } }));

async function storedIds(ids: readonly string[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query(`select count(*)::int as n from "${schema}".events where event_id = any($1)`, [ids]);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

describe('a backend killed in the middle of an append', () => {
  it('leaves nothing of the append, gives StoreUnavailableError, and the store carries on', async () => {
    const pool = await testPool({ max: 4 });
    const store = postgresEventStore({ pool, schema });
    const blocker = new pg.Client({ connectionString: url });
    blocker.on('error', () => undefined);
    await blocker.connect();
    try {
      // Another transaction inserts (uncommitted) the id our batch ends with: our append writes its
      // first 50 rows, then waits on that id's unique-index entry, in the middle of its insert.
      const contested = uuidv7();
      await blocker.query('begin');
      await blocker.query(`select * from "${schema}".append_events($1, -1, $2, $3, '[{}]', '[{}]', $4)`, [
        `other-${uuidv7()}`,
        [contested],
        ['item.created'],
        [1],
      ]);
      const streamId = `victim-${uuidv7()}`;
      const batch: (NewEvent & { id: string })[] = [...events(50), { id: contested, type: 'item.created', data: {} }];
      const append = store.append(streamId, batch).catch((error: unknown) => error);
      let pid: number | undefined;
      await waitFor(
        async () => {
          const { rows } = await pool.query(
            `select pid from pg_stat_activity where wait_event_type = 'Lock' and position($2 in query) > 0 and pid <> $1`,
            [Number((await blocker.query('select pg_backend_pid() as pid')).rows[0].pid), `"${schema}".events`],
          );
          pid = rows[0]?.pid;
          return pid !== undefined;
        },
        10_000,
        'the append to wait in the middle of its insert',
      );
      await pool.query('select pg_terminate_backend($1)', [pid]);
      const error = await append;
      expect(isStoreUnavailableError(error), String(error)).toBe(true);
      await blocker.query('rollback');

      expect(await storedIds(batch.map((event) => event.id))).toBe(0);
      expect(await store.readStream(streamId)).toEqual([]);
      const retried = await store.append(streamId, batch);
      expect(retried.version).toBe(51);
    } finally {
      await blocker.end();
      await store.close();
      await pool.end();
    }
  });
});

describe('an exhausted pool', () => {
  it('fails a call after connectionTimeoutMillis with a StoreUnavailableError that says so', async () => {
    const store = postgresEventStore({ connectionString: url, schema, poolOptions: { max: 1, connectionTimeoutMillis: 300 } });
    const hold = gate();
    const holding = gate();
    const busy = store.transaction(async () => {
      holding.open();
      await hold.promise;
    });
    try {
      await holding.promise;
      const started = Date.now();
      const error = await store.append(`item-${uuidv7()}`, events(1)).catch((caught: unknown) => caught);
      const waited = Date.now() - started;
      expect(isStoreUnavailableError(error), String(error)).toBe(true);
      expect((error as Error).message).toContain('connectionTimeoutMillis');
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(3_000);
    } finally {
      hold.open();
      await busy;
      await store.close();
    }
  });
});

describe('a server restart in the middle of a stream of appends', () => {
  it('keeps every acknowledged append whole, fails calls with StoreUnavailableError while down, and reconnects by itself', async () => {
    expect(await isManagedByScript('postgres'), 'this test restarts the server, so it needs the one scripts/services runs').toBe(true);
    const store: PostgresEventStore = postgresEventStore({
      connectionString: url,
      schema,
      poolOptions: { max: 6, connectionTimeoutMillis: 2_000 },
    });
    let notifications = 0;
    const stopListening = store.onAppend(() => {
      notifications++;
    });
    const writers = 4;
    const acknowledged: AppendResult[] = [];
    const attempted: string[][] = [];
    const unavailable: unknown[] = [];
    let stopAt = Number.POSITIVE_INFINITY;
    let acknowledgedAfterRestart = 0;
    let restarted = false;

    const runs = Array.from({ length: writers }, async (_, writer) => {
      const streamId = `restart-${writer}-${uuidv7()}`;
      let version = 0;
      while (Date.now() < stopAt) {
        const batch = events(3);
        attempted.push(batch.map((event) => event.id));
        // Retry the same batch (same ids, same expected version) until it is acknowledged: a repeat
        // of an append that did commit returns the original result.
        for (;;) {
          try {
            const result = await store.append(streamId, batch, { expectedVersion: version });
            acknowledged.push(result);
            version = result.version;
            if (restarted) acknowledgedAfterRestart++;
            break;
          } catch (error) {
            if (!isStoreUnavailableError(error)) throw error;
            unavailable.push(error);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }
      return streamId;
    });

    await waitFor(() => acknowledged.length >= 20, 20_000, 'appends before the restart');
    await servicesScript(['restart', 'postgres']);
    restarted = true;
    await waitFor(() => acknowledgedAfterRestart >= 20, 60_000, 'appends after the restart');
    stopAt = 0;
    const streamIds = await Promise.all(runs);

    try {
      expect(unavailable.length, 'calls made while the server was down failed with StoreUnavailableError').toBeGreaterThan(0);
      for (const ids of attempted) expect(await storedIds(ids)).toBe(3);
      let stored = 0;
      for (const streamId of streamIds) {
        const read = await store.readStream(streamId);
        expect(read.map((event) => event.version)).toEqual(read.map((_, index) => index + 1));
        stored += read.length;
      }
      expect(stored).toBe(acknowledged.length * 3);
      const before = notifications;
      await store.append(`restart-${uuidv7()}`, events(1));
      await waitFor(() => notifications > before, 15_000, 'onAppend to work again after the restart');
    } finally {
      stopListening();
      await store.close();
    }
  }, 120_000);
});
