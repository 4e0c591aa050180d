import { classifyMongoError } from '../classify-error.js';
import type { MongoCollectionLike, MongoDbLike, MongoIndexSpecLike } from '../mongo-client-like.js';

/** The store's collections in one database, all named `<collectionPrefix><name>`. */
export interface StoreCollections {
  readonly commits: MongoCollectionLike;
  readonly snapshots: MongoCollectionLike;
  readonly checkpoints: MongoCollectionLike;
  readonly inbox: MongoCollectionLike;
  readonly leases: MongoCollectionLike;
}

/** Collection name suffixes, in the order they are listed in the docs. */
export const COLLECTION_NAMES = ['commits', 'snapshots', 'checkpoints', 'inbox', 'leases'] as const;

/**
 * The indexes the store relies on. The unique ones are not an optimisation: they are the
 * concurrency checks (`commits`: one append per stream version, one per log position).
 * Checkpoints and inbox records are found by `_id` alone.
 */
export const INDEXES: Readonly<Record<keyof StoreCollections, readonly MongoIndexSpecLike[]>> = {
  commits: [
    { key: { l: 1 }, name: 'eventfold_last_position', unique: true },
    { key: { s: 1, v: 1 }, name: 'eventfold_stream_version', unique: true },
    { key: { ids: 1 }, name: 'eventfold_event_ids' },
  ],
  snapshots: [{ key: { s: 1, v: -1 }, name: 'eventfold_stream_version' }],
  checkpoints: [],
  inbox: [],
  leases: [{ key: { n: 1, k: -1 }, name: 'eventfold_name_term' }],
};

export function storeCollections(db: MongoDbLike, prefix: string): StoreCollections {
  return {
    commits: db.collection(`${prefix}commits`),
    snapshots: db.collection(`${prefix}snapshots`),
    checkpoints: db.collection(`${prefix}checkpoints`),
    inbox: db.collection(`${prefix}inbox`),
    leases: db.collection(`${prefix}leases`),
  };
}

async function existingIndexNames(collection: MongoCollectionLike): Promise<Set<string>> {
  try {
    const indexes = await collection.listIndexes().toArray();
    return new Set(indexes.map((index) => String(index.name)));
  } catch (error) {
    // NamespaceNotFound: the collection does not exist yet, so it has no indexes.
    if ((error as { code?: unknown }).code === 26) return new Set();
    throw error;
  }
}

/**
 * Creates the missing indexes, one `createIndexes` call per index: FerretDB 1.24 drops the
 * connection when one call names two or more indexes that already exist.
 */
export async function ensureIndexes(collections: StoreCollections): Promise<void> {
  try {
    for (const name of COLLECTION_NAMES) {
      const specs = INDEXES[name];
      if (specs.length === 0) continue;
      const collection = collections[name];
      const existing = await existingIndexNames(collection);
      for (const spec of specs) {
        if (!existing.has(spec.name)) await collection.createIndexes([spec]);
      }
    }
  } catch (error) {
    throw classifyMongoError(error, 'create the indexes');
  }
}
