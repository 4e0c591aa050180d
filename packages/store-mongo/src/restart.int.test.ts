/**
 * A server crash and start in the middle of a stream of appends: while the server is down the store fails
 * with a retryable StoreUnavailableError; writers that retry with the same event ids get each batch
 * in exactly once; afterwards every acknowledged append is there, whole, in order.
 */
import { type AppendResult, isStoreUnavailableError, type NewEvent, type RecordedEvent, uuidv7 } from '@eventfold/core';
import { type MongoEventStore, mongoEventStore } from '@eventfold/store-mongo';
import type { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, isManagedByScript, servicesScript, setupOrFailEach, sleep, testClient } from '../test/support.js';

const database = freshDatabase('restart');
let client: MongoClient;
let store: MongoEventStore;

describe('server restart mid-stream', () => {
  setupOrFailEach(async () => {
    // Short server selection, so operations fail fast while the server is down instead of queueing for 30 s.
    client = await testClient({ serverSelectionTimeoutMS: 1_000, maxPoolSize: 8 });
    store = mongoEventStore({ client, database });
    await store.ensureIndexes();
  });

  afterAll(async () => {
    await store?.close();
    await client
      ?.db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client?.close();
  });

  it('fails with StoreUnavailableError while down, loses and splits nothing, and idempotent retries go in once', async (context) => {
    if (!(await isManagedByScript('mongo'))) {
      if (process.env.CI === 'true')
        throw new Error('under CI the Mongo server must be started by scripts/services (it is restarted here)');
      context.skip(); // MONGO_URL points at a server scripts/services cannot restart
      return;
    }
    const ns = `r${uuidv7().replaceAll('-', '').slice(-10)}`;
    const head = await store.headPosition();
    const acknowledged: AppendResult[] = [];
    const unavailable: unknown[] = [];
    let restarted = false;

    // Each writer appends batches to its own stream, retrying a failed batch with the same ids until it is in.
    const writer = async (name: string) => {
      for (let batch = 0; !restarted || batch < 25; batch++) {
        const events: NewEvent[] = Array.from({ length: 1 + (batch % 3) }, (_, n) => ({
          id: uuidv7(),
          type: 'item.added',
          data: { name, batch, n },
        }));
        for (;;) {
          try {
            acknowledged.push(await store.append(`${ns}-${name}`, events, { expectedVersion: batch === 0 ? 'no-stream' : 'exists' }));
            break;
          } catch (error) {
            if (!isStoreUnavailableError(error)) throw error;
            unavailable.push(error);
            await sleep(100);
          }
        }
      }
    };
    const writing = Promise.all(['a', 'b', 'c'].map(writer));
    await sleep(300);
    // A crash: killed outright, down for a second, started again. (After a graceful stop, FerretDB 1.24
    // sometimes leaves the driver's server monitor stalled for minutes; see docs/store-mongo.md.)
    const { stdout } = await servicesScript(['status', 'mongo']);
    const pid = Number(/^mongo\s+running\s+(\d+)/m.exec(stdout)?.[1]);
    expect(pid, 'the FerretDB process id from scripts/services status').toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await sleep(1_000);
    await servicesScript(['start', 'mongo']);
    restarted = true;
    await writing;

    expect(unavailable.length, 'appends failed while the server was down').toBeGreaterThan(0);
    for (const error of unavailable) {
      expect((error as Error).message).toContain('[@eventfold/store-mongo]');
      expect((error as { retryable: boolean }).retryable).toBe(true);
      expect((error as Error).cause).toBeDefined();
    }
    const expected = acknowledged.flatMap((result) => result.events);
    const all: RecordedEvent[] = [];
    for (let after = head; ; ) {
      const page = await store.readAll({ after, categories: [ns] });
      if (page.length === 0) break;
      all.push(...page);
      after = (page[page.length - 1] as RecordedEvent).position;
    }
    expect(all.map((event) => event.id).sort()).toEqual(expected.map((event) => event.id).sort());
    for (const name of ['a', 'b', 'c']) {
      const stream = await store.readStream(`${ns}-${name}`);
      expect(stream.map((event) => event.version)).toEqual(stream.map((_, index) => index + 1));
      const batches = stream.map((event) => (event.data as { batch: number }).batch);
      // Whole batches, each once, in order.
      expect(batches).toEqual([...batches].sort((x, y) => x - y));
      expect(stream).toEqual(expected.filter((event) => event.streamId === `${ns}-${name}`));
    }
  }, 180_000);
});
