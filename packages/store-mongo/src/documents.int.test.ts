/**
 * What the store writes, checked on the server: payloads FerretDB or MongoDB would refuse as BSON,
 * the per-append size limit, the indexes it creates, and its collection names.
 */
import { isConfigurationError, isValidationError, uuidv7, type ValidationError } from '@eventfold/core';
import { type MongoEventStore, mongoEventStore } from '@eventfold/store-mongo';
import type { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, requireMongoUrl, setupOrFailEach, testClient } from '../test/support.js';

const database = freshDatabase('documents');
let client: MongoClient;
let store: MongoEventStore;

describe('documents the store writes', () => {
  setupOrFailEach(async () => {
    client = await testClient();
    store = mongoEventStore({ client, database });
  });

  afterAll(async () => {
    await store?.close();
    await client?.db(database).dropDatabase();
    await client?.close();
  });

  it('stores data and metadata FerretDB rejects as BSON (nested arrays, $ and . in keys, empty keys) exactly, as JSON text', async () => {
    const streamId = `docs-${uuidv7()}`;
    const data = {
      matrix: [
        [1, 2],
        [3, [4, 5]],
      ],
      $set: { 'a.b': 1, $inc: 2 },
      '': 'empty key',
      'dotted.key': ['x'],
      unicode: 'Grüße 👋 \u2028',
      big: 2 ** 53 - 1,
      tiny: 5e-324,
    };
    const metadata = { tenant: 'acme', 'trace.id': 'abc', $actor: 'me', nested: [[1]] };
    const { events } = await store.append(streamId, [{ type: 'doc.stored', data, metadata }]);
    expect(events[0]?.data).toEqual(data);
    expect(events[0]?.metadata).toEqual(metadata);
    const [read] = await store.readStream(streamId);
    expect(read?.data).toEqual(data);
    expect(read?.metadata).toEqual(metadata);
    const raw = await client.db(database).collection('eventfold_commits').findOne({ s: streamId });
    expect(typeof raw?.d[0]).toBe('string');
  });

  it('stores NaN and infinities as JSON does (null), and -0 as 0, where FerretDB would drop the connection or refuse them', async () => {
    const streamId = `docs-${uuidv7()}`;
    await store.append(streamId, [{ type: 'doc.stored', data: { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, negativeZero: -0 } }]);
    const [read] = await store.readStream(streamId);
    expect(read?.data).toEqual({ nan: null, inf: null, negativeZero: 0 });
    expect(Object.is((read?.data as { negativeZero?: number } | undefined)?.negativeZero, 0)).toBe(true);
  });

  it('keeps snapshot state FerretDB rejects as BSON exactly', async () => {
    const streamId = `docs-${uuidv7()}`;
    const state = { grid: [[[1]], [[2, 3]]], 'x.y': { $z: 1 } };
    await store.snapshots.put({ streamId, version: 3, schemaVersion: 1, state, takenAt: new Date() });
    expect((await store.snapshots.get(streamId))?.state).toEqual(state);
  });

  it('accepts an append just under the limit, and rejects a larger one before sending it, with a ValidationError that states the limit', async () => {
    const streamId = `docs-${uuidv7()}`;
    const chunk = 'x'.repeat(1024 * 1024);
    const near = Array.from({ length: 15 }, (_, index) => ({ type: 'blob.stored', data: { index, chunk } }));
    const accepted = await store.append(streamId, near);
    expect(accepted.version).toBe(15);
    expect((await store.readStream(streamId)).length).toBe(15);

    const head = await store.headPosition();
    const tooBig = Array.from({ length: 17 }, (_, index) => ({ id: uuidv7(), type: 'blob.stored', data: { index, chunk } }));
    const error = await store.append(streamId, tooBig).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    const message = (error as ValidationError).message;
    expect(message).toMatch(/limit is \d+ bytes/);
    expect(message).toContain('16 MiB');
    expect((error as ValidationError).issues[0]?.path).toEqual(['events']);
    expect(await store.headPosition()).toBe(head);
    expect((await store.readStream(streamId)).length).toBe(15);
  }, 60_000);

  it('creates its indexes once, idempotently, from several stores at once (FerretDB 1.24 drops the connection if asked to re-create two at a time)', async () => {
    const others = Array.from({ length: 3 }, () => mongoEventStore({ client, database }));
    await Promise.all(others.map((other) => other.ensureIndexes()));
    await Promise.all(others.map((other) => other.ensureIndexes()));
    const commits = await client.db(database).collection('eventfold_commits').listIndexes().toArray();
    expect(commits.map((index) => index.name).sort()).toEqual([
      '_id_',
      'eventfold_event_ids',
      'eventfold_last_position',
      'eventfold_stream_version',
    ]);
    expect(commits.find((index) => index.name === 'eventfold_stream_version')).toMatchObject({ key: { s: 1, v: 1 }, unique: true });
    expect(commits.find((index) => index.name === 'eventfold_last_position')).toMatchObject({ key: { l: 1 }, unique: true });
    await Promise.all(others.map((other) => other.close()));
  });

  it('keeps stores with different collection prefixes apart', async () => {
    const other = mongoEventStore({ client, database, collectionPrefix: 'tenant2_' });
    const streamId = `docs-${uuidv7()}`;
    await other.append(streamId, [{ type: 'doc.stored', data: 1 }]);
    expect(await store.readStream(streamId)).toEqual([]);
    expect((await other.readStream(streamId)).length).toBe(1);
    const names = (await client.db(database).listCollections().toArray()).map((collection) => collection.name);
    expect(names).toEqual(expect.arrayContaining(['eventfold_commits', 'tenant2_commits']));
    await other.close();
  });

  it('rejects bad options with a ConfigurationError that names the package', () => {
    const attempts: (() => unknown)[] = [
      () => mongoEventStore({ database } as never),
      () => mongoEventStore({ client, database: '' }),
      () => mongoEventStore({ client, url: 'mongodb://127.0.0.1', database } as never),
      () => mongoEventStore({ client, database, pollIntervalMs: 0 }),
      () => mongoEventStore({ url: 'http://not-mongo', database }),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isConfigurationError(caught), String(caught)).toBe(true);
      expect((caught as Error).message).toContain('[@eventfold/store-mongo]');
    }
  });

  it('with a url, makes its own client and closes it on close()', async () => {
    const own = mongoEventStore({ url: await requireMongoUrl(), database });
    const streamId = `docs-${uuidv7()}`;
    await own.append(streamId, [{ type: 'doc.stored', data: 1 }]);
    expect((await store.readStream(streamId)).length).toBe(1);
    await own.close();
    await expect(own.readStream(streamId)).rejects.toSatisfy(isConfigurationError);
  });
});
