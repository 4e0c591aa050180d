import type { Position } from './position.js';

/**
 * Context carried by every event: who caused it, in answer to what, and in which trace.
 * Known keys are typed; applications may add their own string-keyed values.
 */
export interface EventMetadata {
  /** Shared by every event and message caused by one request (e.g. its `x-request-id`). */
  correlationId?: string;
  /** Id of the event or message that directly caused this one. */
  causationId?: string;
  /** W3C trace context of the operation that appended the event. */
  traceparent?: string;
  tenant?: string;
  actor?: string;
  [key: string]: unknown;
}

/** An event to append. `data` must be JSON-serialisable. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  /**
   * Unique id of the event. Defaults to a fresh UUIDv7. Supply a deterministic id to make
   * an append idempotent: re-appending the same ids at the same place writes nothing.
   */
  id?: string;
  metadata?: EventMetadata;
  /** Schema version of `data`. Set by the event catalog; defaults to 1. */
  schemaVersion?: number;
}

/** An event as stored, with its place in its stream and in the store-wide log. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  readonly id: string;
  readonly type: Type;
  readonly schemaVersion: number;
  readonly streamId: string;
  /** 1-based position in its stream. */
  readonly version: number;
  /** Store-wide position: strictly increasing in the order `readAll` returns events. */
  readonly position: Position;
  readonly data: Data;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}
