/** The README's example, run against the test server so it cannot rot. */
import { afterAll, expect, it } from 'vitest';
import { freshDatabase, requireMongoUrl } from '../test/support.js';

const database = freshDatabase('example');

afterAll(async () => {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(await requireMongoUrl());
  await client.db(database).dropDatabase();
  await client.close();
});

it('runs the README example', async () => {
  const url = await requireMongoUrl();
  // #region example
  const { MongoClient } = await import('mongodb');
  const { mongoEventStore } = await import('@eventfold/store-mongo');

  const client = new MongoClient(url);
  const store = mongoEventStore({ client, database });

  await store.append('order-1', [{ type: 'order.placed', data: { total: 42 } }], { expectedVersion: 'no-stream' });
  const events = await store.readStream('order-1'); // [{ type: 'order.placed', version: 1, position: 1n, … }]
  const page = await store.readAll({ after: 0n, categories: ['order'] }); // the store-wide log, gap-free

  await store.close(); // the client stays open: it is yours
  await client.close();
  // #endregion example
  expect(events.map((event) => [event.type, event.version])).toEqual([['order.placed', 1]]);
  expect(page).toEqual(events);
});
