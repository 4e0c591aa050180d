/** The README's examples, run against the test server so they cannot rot. */
import { afterAll, expect, it } from 'vitest';
import { dropSchema, freshSchema, requirePostgresUrl } from '../test/support.js';

const schema = freshSchema('example');
const url = process.env.DATABASE_URL ?? '';

afterAll(async () => {
  await dropSchema(schema);
});

it('runs the README example', async () => {
  await requirePostgresUrl();
  // #region example
  const pg = (await import('pg')).default;
  const { postgresEventStore } = await import('@eventfold/store-postgres');

  const pool = new pg.Pool({ connectionString: url });
  const store = postgresEventStore({ pool, schema }); // creates its tables on first use

  await store.append('order-1', [{ type: 'order.placed', data: { total: 42 } }], { expectedVersion: 'no-stream' });
  const events = await store.readStream('order-1'); // [{ type: 'order.placed', version: 1, position: 2473901310976n, … }]
  const page = await store.readAll({ after: 0n, categories: ['order'] }); // the store-wide log, gap-free

  await store.close(); // the pool stays open: it is yours
  await pool.end();
  // #endregion example
  expect(events.map((event) => [event.type, event.version])).toEqual([['order.placed', 1]]);
  expect(page).toEqual(events);
});

it('runs the README transaction example', async () => {
  await requirePostgresUrl();
  const pg = (await import('pg')).default;
  const { postgresEventStore } = await import('@eventfold/store-postgres');
  const pool = new pg.Pool({ connectionString: url });
  const store = postgresEventStore({ pool, schema });
  await store.migrate();
  await pool.query(`create table "${schema}".order_totals (order_id text primary key, total numeric not null)`);
  const message = { id: 'msg-1', orderId: 'order-1', total: 42 };
  // #region transaction
  const outcome = await store.inbox.runOnce('totals', message.id, async (tx) => {
    await tx.query(`insert into "${schema}".order_totals (order_id, total) values ($1, $2)`, [message.orderId, message.total]);
    await tx.checkpoints.put('totals', 7n); // commits with the row and the inbox record, or not at all
  });
  // #endregion transaction
  expect(outcome).toBe('processed');
  expect(await store.inbox.runOnce('totals', message.id, async () => undefined)).toBe('duplicate');
  expect((await pool.query(`select total::int as total from "${schema}".order_totals`)).rows).toEqual([{ total: 42 }]);
  await store.close();
  await pool.end();
});
