import type { CheckpointStore } from '../checkpoint-store.js';
import type { Position } from '../position.js';

/** A {@link CheckpointStore} in memory. */
export function inMemoryCheckpointStore(): CheckpointStore {
  const positions = new Map<string, Position>();
  return {
    async get(name) {
      return positions.get(name);
    },
    async put(name, position) {
      positions.set(name, position);
    },
    async delete(name) {
      positions.delete(name);
    },
  };
}
