import { cloneAsJson, deepFreeze } from '../internal/json.js';
import type { Snapshot, SnapshotStore } from '../snapshot-store.js';

/** A {@link SnapshotStore} in memory: the newest snapshot of each stream. */
export function inMemorySnapshotStore(): SnapshotStore {
  const snapshots = new Map<string, Snapshot>();
  return {
    async get(streamId) {
      return snapshots.get(streamId);
    },
    async put(snapshot) {
      const current = snapshots.get(snapshot.streamId);
      if (current !== undefined && current.version > snapshot.version) return;
      const state = cloneAsJson(snapshot.state, ['state']);
      // Copy the date too: freezing does not stop setTime(), so a shared Date could change what is stored.
      snapshots.set(snapshot.streamId, deepFreeze({ ...snapshot, state, takenAt: new Date(snapshot.takenAt.getTime()) }));
    },
    async delete(streamId) {
      snapshots.delete(streamId);
    },
  };
}
