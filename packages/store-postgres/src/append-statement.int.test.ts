import { isConcurrencyError, uuidv7 } from '@eventfold/core';
import { postgresEventStore } from '@eventfold/store-postgres';
import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { dropSchema, freshSchema, setupOrFailEach, testPool } from '../test/support.js';

// Which path an append takes: outside a transaction, the common case runs the one prepared
// statement and never calls append_events; everything else still reaches the function.

const schema = freshSchema('paths');
let pool: pg.Pool;

setupOrFailEach(async () => {
  // One connection, so the function-call counters below are this session's.
  pool = await testPool({ max: 1, options: '-c track_functions=pl' });
});

afterAll(async () => {
  await pool?.end();
  await dropSchema(schema);
});

/** How many times this session called append_events (flushing its statistics first). */
async function functionCalls(): Promise<number> {
  await pool.query('select pg_stat_force_next_flush()');
  await pool.query('select 1');
  const { rows } = await pool.query(
    `select coalesce(sum(calls), 0)::int as calls from pg_stat_user_functions where schemaname = $1 and funcname = 'append_events'`,
    [schema],
  );
  return rows[0].calls;
}

it('runs common appends without append_events, and hands mismatches, repeats and transactions to it', async () => {
  const store = postgresEventStore({ pool, schema });
  try {
    await store.migrate();
    const event = () => ({ id: uuidv7(), type: 'item.created', data: {} });
    const before = await functionCalls();
    const first = await store.append('item-1', [event(), event()], { expectedVersion: 'no-stream' });
    await store.append('item-1', [event()], { expectedVersion: 2 });
    await store.append('item-1', [event()]);
    expect(await functionCalls()).toBe(before);

    const stale = await store.append('item-1', [event()], { expectedVersion: 1 }).catch((error: unknown) => error);
    expect(isConcurrencyError(stale) && stale.actual).toBe(4);
    // (A call in a transaction that failed is not counted, so the counting starts after it.)
    const afterStale = await functionCalls();
    const resent = first.events.map(({ id, type, data }) => ({ id, type, data }));
    expect(await store.append('item-1', resent, { expectedVersion: 'no-stream' })).toEqual(first);
    expect(await store.append('item-1', resent)).toEqual(first); // 'any': a unique violation, then the function
    await store.transaction(async (tx) => void (await tx.append('item-2', [event()])));
    expect(await functionCalls()).toBe(afterStale + 3);
    expect((await store.readStream('item-1')).map((recorded) => recorded.version)).toEqual([1, 2, 3, 4]);
  } finally {
    await store.close();
  }
});
