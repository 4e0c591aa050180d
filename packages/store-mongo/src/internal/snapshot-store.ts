import type { Snapshot, SnapshotStore } from '@eventfold/core';
import { classifyMongoError, isDuplicateKeyError } from '../classify-error.js';
import type { MongoCollectionLike } from '../mongo-client-like.js';
import { toJsonText } from './json-text.js';

/**
 * Snapshots, one document per (stream, version): `{ _id, s, v, sv, st, at }` with the state as JSON
 * text. A put never updates another version's document, so racing puts cannot lose the highest
 * version even where one-document updates are not atomic (FerretDB); `get` takes the highest, and a
 * put removes the versions below its own.
 */
export function mongoSnapshotStore(collection: MongoCollectionLike, ready: () => Promise<void>): SnapshotStore {
  const keyOf = (streamId: string, version: number) => JSON.stringify([streamId, version]);

  return {
    async get(streamId) {
      await ready();
      try {
        const [found] = await collection.find({ s: streamId }, { sort: { s: 1, v: -1 }, limit: 1 }).toArray();
        if (found === undefined) return undefined;
        return {
          streamId,
          version: Number(found.v),
          schemaVersion: Number(found.sv),
          state: JSON.parse(String(found.st)),
          takenAt: found.at as Date,
        } satisfies Snapshot;
      } catch (error) {
        throw classifyMongoError(error, `read the snapshot of "${streamId}"`);
      }
    },
    async put(snapshot) {
      const state = toJsonText(snapshot.state, ['state']);
      await ready();
      const { streamId, version } = snapshot;
      const document = { s: streamId, v: version, sv: snapshot.schemaVersion, st: state, at: new Date(snapshot.takenAt.getTime()) };
      try {
        try {
          await collection.replaceOne({ _id: keyOf(streamId, version) }, document, { upsert: true });
        } catch (error) {
          // Two upserts of a new _id at once: FerretDB fails one with 11000 instead of retrying it.
          if (!isDuplicateKeyError(error)) throw error;
          await collection.replaceOne({ _id: keyOf(streamId, version) }, document, { upsert: true });
        }
        await collection.deleteMany({ s: streamId, v: { $lt: version } });
      } catch (error) {
        throw classifyMongoError(error, `save a snapshot of "${streamId}"`);
      }
    },
    async delete(streamId) {
      await ready();
      try {
        await collection.deleteMany({ s: streamId });
      } catch (error) {
        throw classifyMongoError(error, `delete the snapshot of "${streamId}"`);
      }
    },
  };
}
