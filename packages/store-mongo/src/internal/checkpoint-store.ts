import { type CheckpointStore, type Position, ValidationError } from '@eventfold/core';
import { classifyMongoError, isDuplicateKeyError } from '../classify-error.js';
import type { MongoCollectionLike } from '../mongo-client-like.js';
import { toBigInt } from './commit-document.js';

const MAX_POSITION = 2n ** 63n - 1n;

/** Checkpoints, one document per name: `{ _id: name, p: <int64> }`. */
export function mongoCheckpointStore(collection: MongoCollectionLike, ready: () => Promise<void>): CheckpointStore {
  return {
    async get(name) {
      await ready();
      try {
        const found = await collection.findOne({ _id: name });
        return found === null ? undefined : toBigInt(found.p);
      } catch (error) {
        throw classifyMongoError(error, `read checkpoint "${name}"`);
      }
    },
    async put(name, position: Position) {
      if (typeof position !== 'bigint' || position < 0n || position > MAX_POSITION) {
        throw new ValidationError('Invalid checkpoint', [
          { message: `position must be a bigint from 0 to 2^63 - 1, got ${String(position)}`, path: ['position'] },
        ]);
      }
      await ready();
      try {
        try {
          await collection.replaceOne({ _id: name }, { p: position }, { upsert: true });
        } catch (error) {
          // Two upserts of a new _id at once: FerretDB fails one with 11000 instead of retrying it.
          if (!isDuplicateKeyError(error)) throw error;
          await collection.replaceOne({ _id: name }, { p: position }, { upsert: true });
        }
      } catch (error) {
        throw classifyMongoError(error, `save checkpoint "${name}"`);
      }
    },
    async delete(name) {
      await ready();
      try {
        await collection.deleteMany({ _id: name });
      } catch (error) {
        throw classifyMongoError(error, `delete checkpoint "${name}"`);
      }
    },
  };
}
