/**
 * A MongoDB event store for Eventfold: atomic appends without transactions (one document per
 * append), a gap-free store-wide order, snapshots, checkpoints, an inbox and leases. Works on
 * standalone servers, replica sets and FerretDB.
 * @module
 */
export type { MongoErrorKind } from './classify-error.js';
export { classifyMongoError, mongoErrorKind } from './classify-error.js';
export type {
  MongoClientLike,
  MongoCollectionLike,
  MongoCursorLike,
  MongoDbLike,
  MongoDocument,
  MongoFindOptionsLike,
  MongoIndexSpecLike,
} from './mongo-client-like.js';
export type { MongoEventStore, MongoEventStoreBaseOptions, MongoEventStoreOptions } from './mongo-event-store.js';
export { mongoEventStore } from './mongo-event-store.js';
