import type { CheckpointStore } from './checkpoint-store.js';
import type { NewEvent, RecordedEvent } from './event.js';
import type { Inbox } from './inbox.js';
import type { LeaseStore } from './lease-store.js';
import type { Position } from './position.js';
import type { SnapshotStore } from './snapshot-store.js';

/**
 * What the writer expects of the stream before its append:
 * - a number: the stream is exactly at that version (0 = it does not exist yet);
 * - `'no-stream'`: the stream does not exist;
 * - `'exists'`: the stream has at least one event;
 * - `'any'`: no check.
 */
export type ExpectedVersion = number | 'no-stream' | 'exists' | 'any';

/** Options of {@link EventStore.append}. */
export interface AppendOptions {
  /** @defaultValue `'any'` */
  expectedVersion?: ExpectedVersion;
}

/** What an append wrote (or, for an idempotent repeat, what the original append wrote). */
export interface AppendResult {
  readonly streamId: string;
  /** The stream's version after the append: the version of its last event. */
  readonly version: number;
  /** Store-wide position of the last event of the append. */
  readonly position: Position;
  /** The events as recorded, in order. */
  readonly events: readonly RecordedEvent[];
}

/** Options of {@link EventStore.readStream}. */
export interface ReadStreamOptions {
  /**
   * First version to read (inclusive) when reading forward; last version (inclusive)
   * when reading backward.
   * @defaultValue 1 forward, the stream's last version backward
   */
  fromVersion?: number;
  /** Most events to return. */
  limit?: number;
  /** @defaultValue `'forward'` */
  direction?: 'forward' | 'backward';
}

/** Options of {@link EventStore.readAll}. */
export interface ReadAllOptions {
  /** Read events strictly after this position. @defaultValue `START` (from the beginning) */
  after?: Position;
  /** Most events to return. Stores cap it at a batch size of their choosing; read again after the last position to continue. */
  limit?: number;
  /** Only streams of these categories (the part of the stream id before the first `-`). */
  categories?: readonly string[];
  /** Only events of these types. */
  types?: readonly string[];
}

/** What a store can do beyond the contract every store honours. The conformance suite runs laws by these flags. */
export interface StoreCapabilities {
  /** Consumer inbox records and the consumer's own writes can commit in one transaction. */
  readonly transactions: boolean;
  /** The store pushes a signal on new appends, so subscribers need not poll. */
  readonly appendNotifications: boolean;
}

/**
 * The event store port: an append-only log of streams with optimistic concurrency,
 * a gap-free store-wide order, and the side tables that relays and consumers need.
 *
 * Contract (proven by `describeEventStoreConformance` from `@eventfold/core/testing`):
 * - `append` is atomic, and a stream's versions are contiguous from 1 under any number of concurrent writers.
 * - `append` is idempotent by event id: the same ids at the same place return the original result and write nothing;
 *   an id already stored elsewhere is a `DuplicateEventError`.
 * - `readAll` is gap-free: a reader resuming after the last position it saw never misses an event,
 *   even when transactions commit out of order.
 * - A stream that does not exist reads as empty (version 0).
 * - Errors are `EventfoldError`s with stable codes; driver errors are kept as `cause`.
 */
export interface EventStore {
  readonly capabilities: StoreCapabilities;

  /**
   * Appends events to one stream atomically.
   *
   * @throws `ConcurrencyError` when the stream is not at `expectedVersion`.
   * @throws `DuplicateEventError` when an event id is already stored at a different place.
   * @throws `ValidationError` for an invalid stream id, an empty batch or data that is not JSON.
   * @throws `StoreUnavailableError` when the store cannot be reached (the append may or may not have happened; retry with the same event ids to find out safely).
   */
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;

  /** Reads one stream's events in version order. A stream that does not exist has none. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Reads committed events of all streams in store-wide order, after a position. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /** The position of the newest event a reader can see now (`START` for an empty store). */
  headPosition(): Promise<Position>;

  /**
   * Calls `listener` soon after events are appended (by any process, where the store can tell).
   * Readers use it to wake up instead of polling. Returns a function that stops the calls.
   * A store without notifications returns a no-op and reports `capabilities.appendNotifications: false`.
   */
  onAppend(listener: () => void): () => void;

  readonly snapshots: SnapshotStore;
  readonly checkpoints: CheckpointStore;
  readonly inbox: Inbox;
  readonly leases: LeaseStore;

  /** Releases connections and timers. The store is unusable afterwards. */
  close(): Promise<void>;
}
