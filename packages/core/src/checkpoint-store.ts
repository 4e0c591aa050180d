import type { Position } from './position.js';

/** Named cursors into the store-wide log, for relays, projections and other readers. */
export interface CheckpointStore {
  /** The stored position, or `undefined` when the name has none. */
  get(name: string): Promise<Position | undefined>;
  /** Stores a position under a name, replacing what was there. */
  put(name: string, position: Position): Promise<void>;
  /** Forgets a name's position (a projection rebuild starts from the beginning again). */
  delete(name: string): Promise<void>;
}
