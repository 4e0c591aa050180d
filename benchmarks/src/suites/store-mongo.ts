/**
 * `@eventfold/store-mongo` against plain `mongodb` driver code doing the same durable work: one
 * document per event in a collection with a unique (stream, version) index, written with
 * insertOne / insertMany, and read back with find. Each measure uses fresh collections, so every
 * side starts from the same, empty state (FerretDB 1.x scans collections, so sizes matter).
 */
import { mongoEventStore } from '@eventfold/store-mongo';
import { MongoClient } from 'mongodb';
import type { Suite, Workload } from '../harness.js';

type Client = InstanceType<typeof MongoClient>;
type Store = ReturnType<typeof mongoEventStore>;

const url = process.env.MONGO_URL;
const database = `bench_store_mongo_${process.pid}`;
let client: Client;
let run = 0;

function payload(i: number) {
  return { orderId: `o-${i}`, customer: 'Ada Lovelace', lines: [{ sku: 'A-1', quantity: 2, price: 9.5 }], total: 19 };
}

async function rate(count: number, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return count / ((performance.now() - started) / 1000);
}

async function latency(work: () => Promise<void>, repeat: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** A store on its own fresh collections, indexes created before timing starts. */
async function freshStore(): Promise<Store> {
  const store = mongoEventStore({ client, database, collectionPrefix: `ours${run++}_` });
  await store.ensureIndexes();
  await store.headPosition(); // learn the (empty) log's end, as a running process has
  return store;
}

/** The baseline's collection: one document per event, unique (stream, version), as a hand-written store would have. */
async function freshCollection() {
  const collection = client.db(database).collection<{ _id?: number; [field: string]: unknown }>(`plain${run++}`);
  await collection.createIndexes([{ key: { streamId: 1, version: 1 }, name: 'stream_version', unique: true }]);
  return collection;
}

type Collection = Awaited<ReturnType<typeof freshCollection>>;

function eventDocument(streamId: string, version: number, i: number) {
  return { streamId, version, type: 'order.placed', data: payload(i), metadata: {}, recordedAt: new Date() };
}

async function inParallel(writers: number, perWriter: number, work: (writer: number, index: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let index = 0; index < perWriter; index++) await work(writer, index);
    }),
  );
}

function newStreams(writers: number, total: number): Workload {
  const perWriter = Math.floor(total / writers);
  return {
    name: `append-1-event-new-streams-${writers}-writer${writers === 1 ? '' : 's'}`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: async () => {
      const store = await freshStore();
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (writer, index) => {
          await store.append(`order-${writer}-${index}`, [{ type: 'order.placed', data: payload(index) }], {
            expectedVersion: 'no-stream',
          });
        }),
      );
    },
    baseline: async () => {
      const collection = await freshCollection();
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (writer, index) => {
          await collection.insertOne(eventDocument(`order-${writer}-${index}`, 1, index));
        }),
      );
    },
  };
}

function existingStreams(writers: number, total: number): Workload {
  const perWriter = Math.floor(total / writers);
  return {
    name: `append-1-event-existing-streams-expected-version-${writers}-writers`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: async () => {
      const store = await freshStore();
      // Each writer's stream exists with one event; the writer knows its version, as a repository does after loading.
      const versions = await Promise.all(
        Array.from(
          { length: writers },
          async (_, writer) => (await store.append(`order-${writer}`, [{ type: 'order.placed', data: payload(0) }])).version,
        ),
      );
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (writer, index) => {
          const result = await store.append(`order-${writer}`, [{ type: 'order.changed', data: payload(index) }], {
            expectedVersion: versions[writer] as number,
          });
          versions[writer] = result.version;
        }),
      );
    },
    baseline: async () => {
      const collection = await freshCollection();
      const versions = Array.from({ length: writers }, () => 1);
      await collection.insertMany(Array.from({ length: writers }, (_, writer) => eventDocument(`order-${writer}`, 1, 0)));
      return rate(writers * perWriter, () =>
        inParallel(writers, perWriter, async (writer, index) => {
          // The version check of a hand-written store: insert at version + 1 under the unique index.
          const version = (versions[writer] as number) + 1;
          await collection.insertOne(eventDocument(`order-${writer}`, version, index));
          versions[writer] = version;
        }),
      );
    },
  };
}

function batches(batchCount: number, size: number): Workload {
  return {
    name: `append-${size}-event-batches`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: async () => {
      const store = await freshStore();
      return rate(batchCount * size, async () => {
        for (let batch = 0; batch < batchCount; batch++) {
          await store.append(
            `order-${batch}`,
            Array.from({ length: size }, (_, i) => ({ type: 'order.line-added', data: payload(i) })),
            { expectedVersion: 'no-stream' },
          );
        }
      });
    },
    baseline: async () => {
      const collection = await freshCollection();
      return rate(batchCount * size, async () => {
        for (let batch = 0; batch < batchCount; batch++) {
          await collection.insertMany(Array.from({ length: size }, (_, i) => eventDocument(`order-${batch}`, i + 1, i)));
        }
      });
    },
  };
}

function loadAggregate(events: number): Workload {
  let ours: { store: Store; streamId: string } | undefined;
  let plain: Collection | undefined;
  return {
    name: `load-${events}-event-aggregate`,
    metric: 'latency-p50',
    unit: 'ms',
    higherIsBetter: false,
    ours: async () => {
      if (ours === undefined) {
        const store = await freshStore();
        // Written one event per append, as 1,000 commands would.
        for (let i = 0; i < events; i++) await store.append('order-1', [{ type: 'order.changed', data: payload(i) }]);
        ours = { store, streamId: 'order-1' };
      }
      const { store, streamId } = ours;
      return latency(async () => {
        const read = await store.readStream(streamId);
        if (read.length !== events) throw new Error(`read ${read.length} events`);
      }, 5);
    },
    baseline: async () => {
      if (plain === undefined) {
        plain = await freshCollection();
        for (let i = 0; i < events; i++) await plain.insertOne(eventDocument('order-1', i + 1, i));
      }
      const collection = plain;
      return latency(async () => {
        const read = await collection.find({ streamId: 'order-1' }).sort({ version: 1 }).toArray();
        if (read.length !== events) throw new Error(`read ${read.length} events`);
      }, 5);
    },
  };
}

function catchUp(events: number, pageSize: number): Workload {
  let ours: Store | undefined;
  let plain: Collection | undefined;
  return {
    name: `read-all-catch-up-${events}-events-pages-of-${pageSize}`,
    metric: 'throughput',
    unit: 'events/s',
    higherIsBetter: true,
    ours: async () => {
      if (ours === undefined) {
        ours = await freshStore();
        for (let i = 0; i < events; i += 10) {
          await ours.append(
            `order-${i}`,
            Array.from({ length: 10 }, (_, n) => ({ type: 'order.changed', data: payload(i + n) })),
          );
        }
      }
      const store = ours;
      return rate(events, async () => {
        let read = 0;
        for (let after = 0n; ; ) {
          const page = await store.readAll({ after, limit: pageSize });
          if (page.length === 0) break;
          read += page.length;
          after = page[page.length - 1]?.position as bigint;
        }
        if (read !== events) throw new Error(`read ${read} events`);
      });
    },
    baseline: async () => {
      if (plain === undefined) {
        plain = await freshCollection();
        for (let i = 0; i < events; i += 10) {
          await plain.insertMany(Array.from({ length: 10 }, (_, n) => ({ ...eventDocument(`order-${i}`, n + 1, i + n), _id: i + n + 1 })));
        }
      }
      const collection = plain;
      return rate(events, async () => {
        let read = 0;
        for (let after = 0; ; ) {
          const page = await collection
            .find({ _id: { $gt: after } })
            .sort({ _id: 1 })
            .limit(pageSize)
            .toArray();
          if (page.length === 0) break;
          read += page.length;
          after = page[page.length - 1]?._id as unknown as number;
        }
        if (read !== events) throw new Error(`read ${read} events`);
      });
    },
  };
}

const suite: Suite = {
  name: 'store-mongo',
  baseline: 'plain mongodb driver: one document per event, unique (stream, version) index, insertOne / insertMany / find',
  async setup() {
    if (!url) throw new Error('MONGO_URL is not set: bash scripts/services up mongo && eval "$(bash scripts/services env)"');
    client = new MongoClient(url, { maxPoolSize: 32 });
    await client.connect();
  },
  async teardown() {
    await client.db(database).dropDatabase();
    await client.close();
  },
  async facts() {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return { server: info.ferretdbVersion ? `FerretDB ${info.ferretdbVersion} (SQLite), wire 21` : `MongoDB ${info.version}` };
  },
  async workloads() {
    return [newStreams(1, 500), newStreams(16, 800), existingStreams(16, 800), batches(20, 100), loadAggregate(1000), catchUp(5000, 1000)];
  },
};

export default suite;
