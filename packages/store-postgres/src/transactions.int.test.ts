import { type EventStore, isConfigurationError, projection, type RecordedEvent, uuidv7 } from '@eventfold/core';
import { type PostgresEventStore, postgresEventStore } from '@eventfold/store-postgres';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, gate, requirePostgresUrl, setupOrFailEach, testPool } from '../test/support.js';

// Inbox records, checkpoints, appends and the application's own SQL commit together or not at all.

const schema = freshSchema('tx');
let pool: pg.Pool;
let store: PostgresEventStore;

setupOrFailEach(async () => {
  await requirePostgresUrl();
  pool = await testPool({ max: 12 });
  store = postgresEventStore({ pool, schema });
  await store.migrate();
  await pool.query(`create table "${schema}".read_model (id text primary key, value text not null)`);
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await dropSchema(schema);
});

const name = () => `t${uuidv7().replaceAll('-', '').slice(-12)}`;
const readModel = async (id: string) =>
  (await pool.query<{ value: string }>(`select value from "${schema}".read_model where id = $1`, [id])).rows[0]?.value;

describe('store.transaction', () => {
  it('commits the inbox record, a checkpoint, an append and user SQL together', async () => {
    const key = name();
    const result = await store.transaction(async (tx) => {
      expect(await tx.inbox.claim('consumer', key)).toBe(true);
      await tx.checkpoints.put(key, 42n);
      await tx.query(`insert into "${schema}".read_model values ($1, $2)`, [key, 'written']);
      return tx.append(`${key}-1`, [{ type: 'item.created', data: { key } }]);
    });
    expect(result.version).toBe(1);
    expect(await store.inbox.has('consumer', key)).toBe(true);
    expect(await store.checkpoints.get(key)).toBe(42n);
    expect(await readModel(key)).toBe('written');
    expect(await store.readStream(`${key}-1`)).toEqual(result.events);
  });

  it('rolls all of it back when the callback throws, and rethrows the same error', async () => {
    const key = name();
    const failure = new Error('handler failed');
    const caught = await store
      .transaction(async (tx) => {
        await tx.inbox.claim('consumer', key);
        await tx.checkpoints.put(key, 42n);
        await tx.query(`insert into "${schema}".read_model values ($1, $2)`, [key, 'written']);
        await tx.append(`${key}-1`, [{ type: 'item.created', data: {} }]);
        throw failure;
      })
      .catch((error: unknown) => error);
    expect(caught).toBe(failure);
    expect(await store.inbox.has('consumer', key)).toBe(false);
    expect(await store.checkpoints.get(key)).toBeUndefined();
    expect(await readModel(key)).toBeUndefined();
    expect(await store.readStream(`${key}-1`)).toEqual([]);
  });

  it('makes plain store calls inside the callback join the transaction (nothing is visible before commit)', async () => {
    const key = name();
    const inside = gate();
    const release = gate();
    const running = store.transaction(async () => {
      await store.checkpoints.put(key, 7n);
      await store.append(`${key}-1`, [{ type: 'item.created', data: {} }]);
      expect(store.currentTransaction()).toBeDefined();
      inside.open();
      await release.promise;
    });
    await inside.promise;
    const other = await pool.query(`select count(*)::int as n from "${schema}".checkpoints where name = $1`, [key]);
    expect(other.rows[0].n).toBe(0);
    release.open();
    await running;
    expect(await store.checkpoints.get(key)).toBe(7n);
    expect(store.currentTransaction()).toBeUndefined();
  });

  it('runs a nested transaction as a savepoint: its failure rolls back only its own writes', async () => {
    const key = name();
    await store.transaction(async (tx) => {
      await tx.checkpoints.put(`${key}-outer`, 1n);
      await store
        .transaction(async (inner) => {
          await inner.checkpoints.put(`${key}-inner`, 2n);
          await inner.query('select 1/0');
        })
        .catch(() => undefined);
    });
    expect(await store.checkpoints.get(`${key}-outer`)).toBe(1n);
    expect(await store.checkpoints.get(`${key}-inner`)).toBeUndefined();
  });

  it('refuses to report a commit when a failed statement was swallowed (PostgreSQL rolled back)', async () => {
    const key = name();
    const error = await store
      .transaction(async (tx) => {
        await tx.checkpoints.put(key, 1n);
        await tx.query('select 1/0').catch(() => undefined);
      })
      .catch((caught: unknown) => caught);
    expect(isConfigurationError(error), String(error)).toBe(true);
    expect(await store.checkpoints.get(key)).toBeUndefined();
  });

  it('rejects use of the transaction object after the callback returned', async () => {
    let leaked: Parameters<Parameters<PostgresEventStore['transaction']>[0]>[0] | undefined;
    await store.transaction(async (tx) => {
      leaked = tx;
    });
    const error = await leaked?.checkpoints.get('x').catch((caught: unknown) => caught);
    expect(isConfigurationError(error), String(error)).toBe(true);
  });
});

describe('inbox.runOnce', () => {
  it('passes its transaction to the work: the record and the work’s writes commit together', async () => {
    const key = name();
    const outcome = await store.inbox.runOnce('projector', key, async (tx) => {
      await tx.query(`insert into "${schema}".read_model values ($1, 'once')`, [key]);
    });
    expect(outcome).toBe('processed');
    expect(await readModel(key)).toBe('once');
    expect(await store.inbox.runOnce('projector', key, async () => expect.fail('ran twice'))).toBe('duplicate');
  });

  it('records nothing and keeps none of the work’s writes when the work throws', async () => {
    const key = name();
    const failure = new Error('boom');
    await expect(
      store.inbox.runOnce('projector', key, async (tx) => {
        await tx.query(`insert into "${schema}".read_model values ($1, 'partial')`, [key]);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await store.inbox.has('projector', key)).toBe(false);
    expect(await readModel(key)).toBeUndefined();
  });

  it('runs the work once when two store instances (two processes) race on one message', async () => {
    const key = name();
    const second = postgresEventStore({ pool, schema });
    let runs = 0;
    const work = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    try {
      const outcomes = await Promise.all([
        store.inbox.runOnce('racer', key, work),
        second.inbox.runOnce('racer', key, work),
        store.inbox.runOnce('racer', key, work),
        second.inbox.runOnce('racer', key, work),
      ]);
      expect(runs).toBe(1);
      expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'duplicate', 'processed']);
    } finally {
      await second.close();
    }
  });
});

describe("core's projection with the store's transaction", () => {
  it('commits the handlers’ writes with the projection checkpoint, so a failed batch leaves neither', async () => {
    const key = name();
    await store.append(`${key}-1`, [
      { type: `${key}.set`, data: { value: 'a' } },
      { type: `${key}.set`, data: { value: 'b' } },
    ]);
    let failOn: string | undefined = 'b';
    const handle = async (event: RecordedEvent) => {
      const value = (event.data as { value: string }).value;
      await store
        .currentTransaction()
        ?.query(`insert into "${schema}".read_model values ($1, $2) on conflict (id) do update set value = excluded.value`, [key, value]);
      if (value === failOn) throw new Error(`handler failed on ${value}`);
    };
    const view = projection({
      name: key,
      store: store as EventStore,
      handlers: { [`${key}.set`]: handle },
      transaction: (work) => store.transaction(() => work()),
    });
    await expect(view.runOnce()).rejects.toThrow('handler failed on b');
    expect(await readModel(key)).toBeUndefined();
    expect(await store.checkpoints.get(`projection:${key}`)).toBeUndefined();
    failOn = undefined;
    await view.runOnce();
    expect(await readModel(key)).toBe('b');
    expect(await store.checkpoints.get(`projection:${key}`)).toBeDefined();
  });
});
