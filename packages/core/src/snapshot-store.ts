/** A saved aggregate state, so loading replays only the events after it. */
export interface Snapshot<State = unknown> {
  readonly streamId: string;
  /** The stream version the state includes. */
  readonly version: number;
  /** The aggregate's snapshot schema version; a snapshot with another version is ignored and rebuilt. */
  readonly schemaVersion: number;
  /** JSON-serialisable state. */
  readonly state: State;
  readonly takenAt: Date;
}

/** Keeps the latest snapshot of each stream. */
export interface SnapshotStore {
  /** The latest snapshot of a stream, if any. */
  get(streamId: string): Promise<Snapshot | undefined>;
  /** Saves a snapshot unless one of a higher version is already stored (writers may race; the newest wins). */
  put(snapshot: Snapshot): Promise<void>;
  /** Removes a stream's snapshot. */
  delete(streamId: string): Promise<void>;
}
