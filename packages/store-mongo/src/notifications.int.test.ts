/** `onAppend` across processes: without change streams, the store notices other processes' appends by polling the end of the log. */
import { uuidv7 } from '@eventfold/core';
import { type MongoEventStore, mongoEventStore } from '@eventfold/store-mongo';
import type { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, setupOrFailEach, sleep, testClient } from '../test/support.js';

const database = freshDatabase('notify');
const clients: MongoClient[] = [];
const stores: MongoEventStore[] = [];

async function open(pollIntervalMs?: number): Promise<MongoEventStore> {
  const client = await testClient();
  clients.push(client);
  const store = mongoEventStore({ client, database, ...(pollIntervalMs !== undefined && { pollIntervalMs }) });
  stores.push(store);
  return store;
}

describe('onAppend across processes', () => {
  setupOrFailEach(async () => {
    await (await open()).ensureIndexes();
  });

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await clients[0]?.db(database).dropDatabase();
    await Promise.all(clients.map((client) => client.close()));
  });

  it("calls a listener soon after another process's append, and stops polling when the last listener goes", async () => {
    const watcher = await open(50);
    const writer = await open();
    await writer.append(`n-${uuidv7()}`, [{ type: 'x.happened', data: 1 }]);
    let calls = 0;
    const stop = watcher.onAppend(() => {
      calls++;
    });
    await sleep(200); // the first poll learns where the log ends; that is no append
    expect(calls).toBe(0);

    const started = Date.now();
    await writer.append(`n-${uuidv7()}`, [{ type: 'x.happened', data: 2 }]);
    while (calls === 0 && Date.now() - started < 2_000) await sleep(10);
    expect(calls, 'no call within 2 s').toBeGreaterThan(0);

    stop();
    const before = calls;
    await writer.append(`n-${uuidv7()}`, [{ type: 'x.happened', data: 3 }]);
    await sleep(300);
    expect(calls).toBe(before);
  });
});
