/**
 * The ordering guarantee under real races: several store objects on separate clients (standing in
 * for separate processes), some of them slow between their checks and their insert — the window in
 * which a counter-based design leaves holes — while readers follow the log. Every acknowledged event
 * must be read exactly once, in position order, none skipped, and readers must never wait for a slow
 * or crashed writer.
 */
import { type AppendResult, isStoreUnavailableError, type RecordedEvent, uuidv7 } from '@eventfold/core';
import type { MongoEventStore } from '@eventfold/store-mongo';
import type { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, setupOrFailEach, sleep, testClient } from '../test/support.js';
import { createMongoEventStore } from './internal/create-store.js';

const database = freshDatabase('ordering');
const clients: MongoClient[] = [];

// The internal factory is the public one plus test hooks. These tests are about order, not about
// how long a starved writer keeps trying (30 s by default), so they let writers try for longer: on
// FerretDB every retry re-reads by scanning the collection, and the readers below scan it nonstop.
async function store(settings: Parameters<typeof createMongoEventStore>[1] = {}): Promise<MongoEventStore> {
  const client = await testClient({ maxPoolSize: 8 });
  clients.push(client);
  return createMongoEventStore({ client, database }, { contentionTimeoutMs: 100_000, ...settings });
}

/** Follows the log like a subscriber: reads pages after the last position it saw until told to stop and a page comes back empty. */
async function follow(reader: MongoEventStore, after: bigint, done: () => boolean, options: { limit: number; categories?: string[] }) {
  const seen: RecordedEvent[] = [];
  let cursor = after;
  for (;;) {
    const finished = done();
    const page = await reader.readAll({ after: cursor, ...options });
    for (const event of page) {
      expect(event.position > cursor, `position ${event.position} after ${cursor}`).toBe(true);
      cursor = event.position;
      seen.push(event);
    }
    if (page.length === 0) {
      if (finished) return seen;
      // Each read scans the collection on FerretDB; a short pause keeps two readers from starving the writers.
      await sleep(10);
    }
  }
}

describe('store-wide order without transactions', () => {
  setupOrFailEach(async () => {
    await (await store()).ensureIndexes();
  });

  afterAll(async () => {
    await clients[0]?.db(database).dropDatabase();
    await Promise.all(clients.map((client) => client.close()));
  });

  it('slow and fast writers in separate processes, readers following: every acknowledged event is read once, in order, none skipped', async () => {
    const ns = `o${uuidv7().replaceAll('-', '').slice(-10)}`;
    const slowDelays: number[] = [];
    let retries = 0;
    const slow = await Promise.all(
      [0, 1].map(() =>
        store({
          hooks: {
            // The widest race window: the writer has settled its position and version, then stalls before writing.
            async beforeInsert({ attempt }) {
              if (attempt > 0) retries++;
              const delay = 5 + Math.random() * 25;
              slowDelays.push(delay);
              await sleep(delay);
            },
          },
        }),
      ),
    );
    const fast = await Promise.all([0, 1].map(() => store()));
    const readerStore = await store();
    const head = await readerStore.headPosition();

    let writing = true;
    const readers = Promise.all([
      follow(readerStore, head, () => !writing, { limit: 3 }),
      follow(readerStore, head, () => !writing, { limit: 50, categories: [`${ns}a`, `${ns}b`] }),
    ]);

    const acknowledged: AppendResult[] = [];
    const writer = async (target: MongoEventStore, name: string, appends: number, pauseMs: number) => {
      for (let index = 0; index < appends; index++) {
        const streamId = `${ns}${index % 2 === 0 ? 'a' : 'b'}-${name}-${index % 3}`;
        const events = Array.from({ length: 1 + (index % 3) }, (_, n) => ({ id: uuidv7(), type: 'item.added', data: { name, index, n } }));
        acknowledged.push(await target.append(streamId, events));
        if (pauseMs > 0) await sleep(Math.random() * pauseMs);
      }
    };
    try {
      // Several writers per store object, so each process also groups appends into one ordered
      // insert — which another process can break in the middle.
      await Promise.all([
        ...slow.flatMap((target, index) => [0, 1].map((n) => writer(target, `slow${index}w${n}`, 8, 0))),
        ...fast.flatMap((target, index) => [0, 1, 2].map((n) => writer(target, `fast${index}w${n}`, 12, 4))),
      ]);
    } finally {
      writing = false;
    }
    const [all, filtered] = await readers;

    const expected = acknowledged.flatMap((result) => result.events).sort((x, y) => (x.position < y.position ? -1 : 1));
    const ours = all.filter((event) => event.streamId.startsWith(ns));
    expect(ours.length, 'events read by the unfiltered reader').toBe(expected.length);
    expect(ours).toEqual(expected);
    expect(filtered).toEqual(expected);
    // Per stream, versions are contiguous and follow position order.
    const versions = new Map<string, number>();
    for (const event of ours) {
      expect(event.version).toBe((versions.get(event.streamId) ?? 0) + 1);
      versions.set(event.streamId, event.version);
    }
    expect(slowDelays.length, 'the slow writers were delayed').toBeGreaterThanOrEqual(32);
    // The race really happened: fast writers took slow writers' positions, and the slow ones went again.
    expect(retries, 'slow writers that lost their position and retried').toBeGreaterThan(0);
  }, 120_000);

  it('a writer that dies between its checks and its insert leaves nothing behind, and readers do not wait for it', async () => {
    const ns = `d${uuidv7().replaceAll('-', '').slice(-10)}`;
    const crashing = await store({
      hooks: {
        beforeInsert() {
          throw new Error('the process died here');
        },
      },
    });
    const healthy = await store();
    const head = await healthy.headPosition();
    const lost = [{ id: uuidv7(), type: 'item.added', data: { lost: true } }];
    const failure = await crashing.append(`${ns}-1`, lost).catch((error: unknown) => error);
    expect(isStoreUnavailableError(failure)).toBe(true);

    const written = await healthy.append(`${ns}-2`, [{ type: 'item.added', data: { kept: true } }]);
    const started = performance.now();
    const page = await healthy.readAll({ after: head, categories: [ns] });
    const elapsed = performance.now() - started;
    expect(page).toEqual(written.events);
    expect(elapsed, 'readAll waited').toBeLessThan(1000);
    expect(await healthy.readStream(`${ns}-1`)).toEqual([]);
    // The same append retried by a healthy process goes in once.
    const retried = await healthy.append(`${ns}-1`, lost);
    expect(retried.events.map((event) => event.id)).toEqual([lost[0]?.id]);
  }, 60_000);

  it('positions are dense: the log has no holes to wait for', async () => {
    const reader = await store();
    const all: RecordedEvent[] = [];
    for (let after = 0n; ; ) {
      const page = await reader.readAll({ after, limit: 1000 });
      if (page.length === 0) break;
      all.push(...page);
      after = (page[page.length - 1] as RecordedEvent).position;
    }
    expect(all.length).toBeGreaterThan(0);
    expect(all.map((event) => event.position)).toEqual(all.map((_, index) => BigInt(index + 1)));
  }, 60_000);
});
