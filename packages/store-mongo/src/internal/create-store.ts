import {
  type AppendOptions,
  ConfigurationError,
  checkReadAllOptions,
  checkReadStreamOptions,
  type EventStore,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoreCapabilities,
} from '@eventfold/core';
import { MongoClient } from 'mongodb';
import { classifyMongoError } from '../classify-error.js';
import type { MongoClientLike, MongoDbLike } from '../mongo-client-like.js';
import type { MongoEventStore, MongoEventStoreOptions } from '../mongo-event-store.js';
import { Appender, type AppendHooks } from './append.js';
import { AppendNotifier } from './append-notifier.js';
import { MAX_BSON_DOCUMENT_BYTES } from './bson-size.js';
import { mongoCheckpointStore } from './checkpoint-store.js';
import { ensureIndexes, storeCollections } from './collections.js';
import { mongoInbox } from './inbox.js';
import { mongoLeaseStore } from './lease-store.js';
import { PositionChain } from './position-chain.js';
import { readAllEvents, readStreamEvents } from './read.js';
import { mongoSnapshotStore } from './snapshot-store.js';
import { StreamHeads } from './stream-heads.js';

const PACKAGE = '[@eventfold/store-mongo]';
// Room left in a commit document for the field names and framing beyond the events themselves.
const DOCUMENT_MARGIN_BYTES = 16 * 1024;

/** Settings tests may change; never part of the public options. */
export interface InternalStoreSettings {
  readonly hooks?: AppendHooks;
  readonly contentionTimeoutMs?: number;
  readonly maxDocumentBytes?: number;
}

function fail(message: string): never {
  throw new ConfigurationError(`${PACKAGE} ${message}`);
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isInteger(value) && value > 0))
    fail(`Option \`${name}\` must be a positive integer, got ${String(value)}.`);
  return value;
}

function openClient(options: MongoEventStoreOptions): { client: MongoClientLike; owned: boolean } {
  const { client, url } = options as { client?: unknown; url?: unknown };
  if (client !== undefined && url !== undefined) fail('Pass either `client` or `url`, not both.');
  if (client !== undefined) {
    if (typeof (client as MongoClientLike).db !== 'function') fail('Option `client` must be a MongoClient from the mongodb driver.');
    return { client: client as MongoClientLike, owned: false };
  }
  if (typeof url !== 'string' || url.length === 0) fail('Option `client` or `url` is required: pass a MongoClient or a mongodb:// URL.');
  try {
    // The driver connects on first use, so creating the store stays synchronous and cheap.
    return { client: new MongoClient(url, options.clientOptions) as unknown as MongoClientLike, owned: true };
  } catch (error) {
    throw classifyMongoError(error, 'open a client for the `url` option');
  }
}

/** Builds the store. `mongoEventStore` is this with the test settings left out. */
export function createMongoEventStore(options: MongoEventStoreOptions, settings: InternalStoreSettings = {}): MongoEventStore {
  if (typeof options !== 'object' || options === null) fail('Options are required: mongoEventStore({ client | url, database }).');
  if (typeof options.database !== 'string' || options.database.length === 0)
    fail('Option `database` is required: the name of the database to use.');
  const prefix = options.collectionPrefix ?? 'eventfold_';
  if (typeof prefix !== 'string' || prefix.includes('$')) fail('Option `collectionPrefix` must be a string without `$`.');
  const pollIntervalMs = positiveInteger(options.pollIntervalMs, 'pollIntervalMs', 200);
  const maxPageSize = positiveInteger(options.readBatchSize, 'readBatchSize', 1000);
  const autoIndex = options.autoIndex ?? true;
  const now = options.now ?? (() => new Date());

  const { client, owned } = openClient(options);
  const db: MongoDbLike = client.db(options.database, {
    // Majority reads and writes: the position chain must only ever build on commits that cannot be
    // rolled back by a replica-set failover (FerretDB and standalone servers accept these as no-ops).
    readConcern: { level: 'majority' },
    writeConcern: { w: 'majority' },
    // Positions are int64; read them as bigint whatever the client's own BSON options say.
    useBigInt64: true,
    promoteLongs: true,
    promoteValues: true,
    promoteBuffers: false,
    bsonRegExp: false,
    raw: false,
  });
  const collections = storeCollections(db, prefix);
  const chain = new PositionChain(collections.commits);
  const heads = new StreamHeads();
  const notifier = new AppendNotifier(chain, pollIntervalMs);
  const capabilities: StoreCapabilities = { transactions: false, appendNotifications: true };
  let closed = false;
  let indexing: Promise<void> | undefined;

  function assertOpen(): void {
    if (closed) fail('The MongoDB event store was used after close().');
  }

  function ensure(): Promise<void> {
    indexing ??= ensureIndexes(collections).catch((error: unknown) => {
      indexing = undefined;
      throw error;
    });
    return indexing;
  }

  /** Before every operation: refuse a closed store, and create the indexes once (they are the concurrency checks). */
  async function ready(): Promise<void> {
    assertOpen();
    if (autoIndex) await ensure();
  }

  const appender = new Appender({
    commits: collections.commits,
    chain,
    heads,
    now,
    maxDocumentBytes: settings.maxDocumentBytes ?? MAX_BSON_DOCUMENT_BYTES - DOCUMENT_MARGIN_BYTES,
    contentionTimeoutMs: settings.contentionTimeoutMs ?? 30_000,
    hooks: settings.hooks ?? {},
    appended: () => notifier.appended(),
  });
  const readContext = { commits: collections.commits, chain, heads, maxPageSize };

  return {
    capabilities,
    client,
    database: db,
    async append(streamId: string, events: readonly NewEvent[], appendOptions?: AppendOptions) {
      await ready();
      return appender.append(streamId, events, appendOptions);
    },
    async readStream(streamId: string, readOptions?: ReadStreamOptions) {
      checkReadStreamOptions(readOptions);
      await ready();
      return readStreamEvents(readContext, streamId, readOptions);
    },
    async readAll(readOptions?: ReadAllOptions) {
      checkReadAllOptions(readOptions);
      await ready();
      return readAllEvents(readContext, readOptions);
    },
    async headPosition() {
      await ready();
      try {
        return await chain.refresh();
      } catch (error) {
        throw classifyMongoError(error, 'read the head position');
      }
    },
    onAppend(listener: () => void) {
      if (closed) return () => undefined;
      return notifier.add(listener);
    },
    snapshots: mongoSnapshotStore(collections.snapshots, ready),
    checkpoints: mongoCheckpointStore(collections.checkpoints, ready),
    inbox: mongoInbox(collections.inbox, ready, now),
    leases: mongoLeaseStore(collections.leases, ready, now),
    async ensureIndexes() {
      assertOpen();
      await ensure();
    },
    async close() {
      if (closed) return;
      closed = true;
      notifier.close();
      if (owned) await client.close();
    },
  } satisfies MongoEventStore & EventStore;
}
