/**
 * Smoke test: the MongoDB-wire server from scripts/services (FerretDB v1 on SQLite) or MONGO_URL
 * does what @eventfold/store-mongo relies on, and a record of what FerretDB v1 lacks — kept in
 * step with the table in docs/services.md, so a FerretDB upgrade that changes any of it fails here.
 */
import { type Db, Long, MongoClient, MongoServerError } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { requireMongoUrl, setupOrFailEach } from '../support/services.js';

const run = `${Date.now()}_${process.pid}`;

describe('MongoDB-wire smoke', () => {
  let client: MongoClient;
  let db: Db;
  let ferretdbVersion: string | undefined;

  setupOrFailEach(async () => {
    const url = await requireMongoUrl();
    client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    db = client.db(`smoke_${run}`);
    const buildInfo = await db.admin().command({ buildInfo: 1 });
    ferretdbVersion = buildInfo.ferretdbVersion as string | undefined;
  }, 30_000);

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
  });

  it('inserts and finds documents', async () => {
    const events = db.collection('events');
    await events.insertMany([
      { _id: 'e1' as never, streamId: 'user-1', version: 1, type: 'user.registered', data: { name: 'Ada' } },
      { _id: 'e2' as never, streamId: 'user-1', version: 2, type: 'user.renamed', data: { name: 'Ada L.' } },
      { _id: 'e3' as never, streamId: 'user-2', version: 1, type: 'user.registered', data: { name: 'Bob' } },
    ]);
    const stream = await events.find({ streamId: 'user-1' }).sort({ version: 1 }).toArray();
    expect(stream.map((e) => [e.version, e.type, e.data.name])).toEqual([
      [1, 'user.registered', 'Ada'],
      [2, 'user.renamed', 'Ada L.'],
    ]);
    expect(await events.countDocuments({ type: 'user.registered' })).toBe(2);
  });

  it('rejects a duplicate on a unique compound index with code 11000', async () => {
    const commits = db.collection('commits');
    await commits.createIndex({ streamId: 1, fromVersion: 1 }, { unique: true, name: 'stream_version' });
    await commits.insertOne({ streamId: 'user-1', fromVersion: 1, events: ['a'] });
    await commits.insertOne({ streamId: 'user-1', fromVersion: 2, events: ['b'] });
    await commits.insertOne({ streamId: 'user-2', fromVersion: 1, events: ['c'] });

    const duplicate = commits.insertOne({ streamId: 'user-1', fromVersion: 2, events: ['conflict'] });
    await expect(duplicate).rejects.toBeInstanceOf(MongoServerError);
    await expect(duplicate).rejects.toMatchObject({ code: 11000 });
    expect(await commits.countDocuments({ streamId: 'user-1' })).toBe(2);
    const indexes = await commits.listIndexes().toArray();
    expect(indexes.find((i) => i.name === 'stream_version')).toMatchObject({
      key: { streamId: 1, fromVersion: 1 },
      unique: true,
    });
  });

  it('findOneAndUpdate with $inc and upsert creates, then increments', async () => {
    const counters = db.collection<{ _id: string; value: number }>('counters');
    const first = await counters.findOneAndUpdate({ _id: 'position' }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' });
    expect(first).toEqual({ _id: 'position', value: 1 });
    const second = await counters.findOneAndUpdate({ _id: 'position' }, { $inc: { value: 5 } }, { upsert: true, returnDocument: 'after' });
    expect(second).toEqual({ _id: 'position', value: 6 });
  });

  it('round-trips 64-bit integers (positions beyond 2^53)', async () => {
    const positions = db.collection('positions');
    await positions.insertOne({ _id: 'p' as never, at: Long.fromString('9007199254740993') });
    const doc = await positions.findOne({ _id: 'p' as never }, { promoteLongs: false });
    expect((doc!.at as Long).toString()).toBe('9007199254740993');
  });

  describe('what FerretDB v1 lacks (docs/services.md)', () => {
    /** 'works', or 'fails: <code>' with the server's error code. */
    async function probe(action: () => Promise<unknown>): Promise<string> {
      try {
        await action();
        return 'works';
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return `fails: ${code ?? (error as Error).name}`;
      }
    }

    it('records the unsupported features and their error codes', async (context) => {
      if (!ferretdbVersion) context.skip(); // a real MongoDB: these gaps do not apply
      const c = db.collection('gaps');
      await c.insertOne({ _id: 'seed' as never, n: 1 });

      const session = client.startSession();
      const observed: Record<string, string> = {};
      try {
        observed['multi-document transaction'] = await probe(() =>
          session.withTransaction(async () => {
            await c.insertOne({ _id: 'in-tx' as never }, { session });
          }),
        );
      } finally {
        await session.endSession();
      }
      observed['write inside the failed transaction applied'] = (await c.countDocuments({ _id: 'in-tx' as never })) === 0 ? 'no' : 'yes';
      observed['commitTransaction command'] = await probe(() => db.admin().command({ commitTransaction: 1 }));
      observed['startSession command'] = await probe(() => db.admin().command({ startSession: 1 }));
      observed['change stream (watch)'] = await probe(async () => {
        const stream = c.watch();
        try {
          await stream.tryNext();
        } finally {
          await stream.close();
        }
      });
      observed['replica set (replSetGetStatus)'] = await probe(() => db.admin().command({ replSetGetStatus: 1 }));
      observed['TTL index (expireAfterSeconds)'] = await probe(() => c.createIndex({ at: 1 }, { expireAfterSeconds: 60 }));
      observed['partial index (partialFilterExpression)'] = await probe(() =>
        c.createIndex({ p: 1 }, { partialFilterExpression: { p: { $exists: true } } }),
      );
      observed['index collation'] = await probe(() => c.createIndex({ r: 1 }, { collation: { locale: 'en', strength: 2 } }));
      observed['unique sparse index'] = await probe(() => c.createIndex({ q: 1 }, { unique: true, sparse: true }));
      observed['aggregate $lookup'] = await probe(() =>
        c.aggregate([{ $lookup: { from: 'gaps', localField: '_id', foreignField: '_id', as: 'x' } }]).toArray(),
      );
      observed['aggregate $group with $max'] = await probe(() => c.aggregate([{ $group: { _id: null, top: { $max: '$n' } } }]).toArray());
      observed['aggregate $group with $push'] = await probe(() => c.aggregate([{ $group: { _id: null, all: { $push: '$n' } } }]).toArray());
      observed['update with arrayFilters'] = await probe(() =>
        c.updateOne({ _id: 'seed' as never }, { $set: { 'a.$[e]': 1 } }, { arrayFilters: [{ e: 1 }] }),
      );
      observed['nested arrays in documents'] = await probe(() => c.insertOne({ nested: [[1, 2]] }));
      observed['dots in field names'] = await probe(() => c.insertOne({ 'a.b': 1 }));
      observed['capped collection'] = await probe(() => db.createCollection(`capped_${run}`, { capped: true, size: 4096 }));
      observed['$max / $setOnInsert update operators'] = await probe(() =>
        c.updateOne({ _id: 'ops' as never }, { $max: { v: 5 }, $setOnInsert: { created: true } }, { upsert: true }),
      );

      await c.createIndex({ k: 1 }, { unique: true });
      await c.insertOne({ k: 'dup' });
      const duplicate = await c.insertOne({ k: 'dup' }).catch((error: MongoServerError) => error);
      observed['duplicate key error carries keyPattern/keyValue'] =
        duplicate instanceof MongoServerError && (duplicate.keyValue || duplicate.errorResponse?.keyValue) ? 'yes' : 'no';

      expect({ ferretdbVersion, ...observed }).toEqual({
        ferretdbVersion: 'v1.24.2',
        // The node driver adds startTransaction/autocommit to the first write; FerretDB rejects
        // the unknown field (9 FailedToParse), so nothing is written silently.
        'multi-document transaction': 'fails: 9',
        'write inside the failed transaction applied': 'no',
        'commitTransaction command': 'fails: 59', // CommandNotFound
        'startSession command': 'fails: 59',
        'change stream (watch)': 'fails: 238', // NotImplemented
        'replica set (replSetGetStatus)': 'fails: 59',
        'TTL index (expireAfterSeconds)': 'fails: 238',
        'partial index (partialFilterExpression)': 'fails: 238',
        'index collation': 'fails: 238',
        'unique sparse index': 'works',
        'aggregate $lookup': 'fails: 238',
        'aggregate $group with $max': 'fails: 238',
        'aggregate $group with $push': 'fails: 238',
        'update with arrayFilters': 'fails: 238',
        'nested arrays in documents': 'fails: 2', // BadValue
        'dots in field names': 'fails: 2',
        'capped collection': 'works',
        '$max / $setOnInsert update operators': 'works',
        'duplicate key error carries keyPattern/keyValue': 'no',
      });
    }, 60_000);

    it('loses increments when one document is updated concurrently (updates are not atomic)', async (context) => {
      if (!ferretdbVersion) context.skip(); // MongoDB applies each $inc atomically
      // Separate connections so the updates really overlap.
      const url = await requireMongoUrl();
      const concurrent = new MongoClient(url, { maxPoolSize: 25, minPoolSize: 25 });
      await concurrent.connect();
      try {
        const counters = concurrent.db(db.databaseName).collection<{ _id: string; n: number }>('race');
        await counters.insertOne({ _id: 'counter', n: 0 });
        const attempts = 100;
        const results = await Promise.all(
          Array.from({ length: attempts }, () => counters.updateOne({ _id: 'counter' }, { $inc: { n: 1 } })),
        );
        // every update reports success ...
        expect(results.reduce((sum, r) => sum + r.modifiedCount, 0)).toBe(attempts);
        // ... but read-modify-write races lose increments (seen: 1–6 of 50 survive).
        const final = await counters.findOne({ _id: 'counter' });
        expect(final!.n).toBeLessThan(attempts);
      } finally {
        await concurrent.close();
      }
    }, 60_000);
  });
});
