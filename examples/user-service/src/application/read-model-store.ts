import { type CheckpointStore, type EventStore, inMemoryCheckpointStore } from '@eventfold/core';

/**
 * The store as seen by a projection whose read model lives in memory: the checkpoint must live in
 * memory too. Kept in the shared store, it would outlive the read model across a restart (and be moved
 * by other instances' copies of it), and the projection would skip events its empty read model never saw.
 * A read model kept in the database keeps its checkpoint there instead, in the same transaction.
 */
export function withCheckpoints(store: EventStore, checkpoints: CheckpointStore = inMemoryCheckpointStore()): EventStore {
  return {
    get capabilities() {
      return store.capabilities;
    },
    append: (streamId, events, options) => store.append(streamId, events, options),
    readStream: (streamId, options) => store.readStream(streamId, options),
    readAll: (options) => store.readAll(options),
    headPosition: () => store.headPosition(),
    onAppend: (listener) => store.onAppend(listener),
    snapshots: store.snapshots,
    checkpoints,
    inbox: store.inbox,
    leases: store.leases,
    close: () => store.close(),
  };
}
