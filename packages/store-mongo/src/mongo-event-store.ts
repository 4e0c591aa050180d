import type { EventStore } from '@eventfold/core';
import { createMongoEventStore } from './internal/create-store.js';
import type { MongoClientLike, MongoDbLike } from './mongo-client-like.js';

/** Options shared by both ways of connecting. */
export interface MongoEventStoreBaseOptions {
  /** Name of the database holding the store's collections. */
  database: string;
  /**
   * Prefix of the store's collection names: `<prefix>commits`, `snapshots`, `checkpoints`, `inbox`, `leases`.
   * @defaultValue `'eventfold_'`
   */
  collectionPrefix?: string;
  /**
   * Create the store's indexes on first use. Its unique indexes are its concurrency checks, so with
   * `false` you must call {@link MongoEventStore.ensureIndexes} (e.g. at deploy time) before using it.
   * @defaultValue `true`
   */
  autoIndex?: boolean;
  /**
   * How often the store looks for appends by other processes while `onAppend` listeners are registered, in ms.
   * @defaultValue `200`
   */
  pollIntervalMs?: number;
  /**
   * Most events one `readAll` call returns; read again after the last position to continue.
   * @defaultValue `1000`
   */
  readBatchSize?: number;
  /**
   * Clock for `recordedAt` and lease expiry.
   * @defaultValue `() => new Date()`
   */
  now?: () => Date;
}

/**
 * Options of {@link mongoEventStore}: a connected (or lazily connecting) `client`, or a `url` for which
 * the store makes (and on `close()` closes) its own client.
 */
export type MongoEventStoreOptions = MongoEventStoreBaseOptions &
  (
    | {
        /** A `MongoClient` of the `mongodb` driver (6 or 7). The store never closes it. */
        client: MongoClientLike;
        url?: never;
        clientOptions?: never;
      }
    | {
        /** A `mongodb://` URL; the store makes a client for it and closes it on `close()`. */
        url: string;
        /** Options for that client (`MongoClientOptions` of the driver). */
        clientOptions?: Record<string, unknown>;
        client?: never;
      }
  );

/** A MongoDB event store: the `EventStore` port, index creation, and the raw driver objects as an escape hatch. */
export interface MongoEventStore extends EventStore {
  /** Creates the store's indexes if they are missing. Safe to call any number of times, from any number of processes. */
  ensureIndexes(): Promise<void>;
  /** The driver client the store uses — the escape hatch for anything the port does not cover. */
  readonly client: MongoClientLike;
  /** The store's database handle (majority read and write concern, int64 read as bigint). */
  readonly database: MongoDbLike;
}

/**
 * An event store on MongoDB or a MongoDB-compatible server (FerretDB), with no need for
 * transactions or a replica set. Each append is one document, so it is atomic on any server; a
 * unique index on (stream, version) is the concurrency check; positions form a chain of inserts, so
 * `readAll` is gap-free and readers never wait. Snapshots, checkpoints, the inbox and leases live in
 * collections beside it.
 *
 * @example
 * ```ts
 * import { MongoClient } from 'mongodb';
 * import { mongoEventStore } from '@eventfold/store-mongo';
 *
 * const client = new MongoClient(process.env.MONGO_URL!);
 * const store = mongoEventStore({ client, database: 'shop' });
 * await store.append('order-1', [{ type: 'order.placed', data: { total: 42 } }], { expectedVersion: 'no-stream' });
 * const events = await store.readStream('order-1');
 * ```
 * @throws `ConfigurationError` when the options are invalid.
 */
export function mongoEventStore(options: MongoEventStoreOptions): MongoEventStore {
  return createMongoEventStore(options);
}
