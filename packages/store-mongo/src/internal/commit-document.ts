import { type EventMetadata, type NewEvent, type RecordedEvent, streamCategory, uuidv7 } from '@eventfold/core';
import type { MongoDocument } from '../mongo-client-like.js';
import { toJsonText } from './json-text.js';

/**
 * One append, stored as one document: the unit of atomicity. All of its events become visible
 * together or not at all, because a single-document insert is atomic on every server.
 *
 * Short field names keep every event's overhead small; per-event values are parallel arrays of
 * scalars (FerretDB rejects nested arrays, and arrays of sub-documents would repeat the keys).
 */
export interface CommitDocument {
  /**
   * Store-wide position of the first event, as a 19-digit zero-padded decimal string (see
   * `positionKey`). Unique: two appends can never claim the same place in the log.
   */
  readonly _id: string;
  /** Position of the last event (`_id + events - 1`). Unique; readAll scans this index in order. */
  readonly l: bigint;
  /** Stream id. */
  readonly s: string;
  /** Category of the stream (the part of its id before the first `-`). */
  readonly c: string;
  /** Version of the first event. Unique with `s`: the optimistic-concurrency check. */
  readonly v: number;
  /** Version of the last event. */
  readonly w: number;
  /** When the append was recorded. */
  readonly at: Date;
  /** Event ids, one per event (indexed: the idempotency and duplicate checks look them up). */
  readonly ids: readonly string[];
  /** Event types. */
  readonly t: readonly string[];
  /** Schema versions. */
  readonly sv: readonly number[];
  /** Event data as JSON text. */
  readonly d: readonly string[];
  /** Event metadata as JSON text. */
  readonly m: readonly string[];
}

/** An event checked and encoded for storage, with its id settled. */
export interface PreparedEvent {
  readonly id: string;
  /** True when the caller chose the id (so it may already be stored); false for a fresh UUIDv7. */
  readonly callerId: boolean;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: string;
  readonly metadata: string;
}

/** Encodes an append's events; throws a `ValidationError` for data or metadata that is not JSON. */
export function prepareEvents(events: readonly NewEvent[]): PreparedEvent[] {
  return events.map((event, index) => ({
    id: event.id ?? uuidv7(),
    callerId: event.id !== undefined,
    type: event.type,
    schemaVersion: event.schemaVersion ?? 1,
    data: toJsonText(event.data, ['events', index, 'data']),
    metadata: toJsonText(event.metadata ?? {}, ['events', index, 'metadata']),
  }));
}

/**
 * The `_id` of the commit starting at `position`. A string rather than an int64 because FerretDB 1.x
 * evaluates `{ _id: <string> }` inside SQLite but decodes every document in Go for any other filter —
 * about 25 times slower for the point reads that follow the end of the log. Zero-padded to the 19
 * digits of 2^63 - 1, so string order is number order.
 */
export function positionKey(position: bigint): string {
  return position.toString().padStart(19, '0');
}

/** The first position of a commit. */
export function firstPosition(commit: CommitDocument): bigint {
  return BigInt(commit._id);
}

/** The document of an append of `events` to `streamId`, placed at `firstVersion` and `firstPosition`. */
export function commitDocument(
  streamId: string,
  firstVersion: number,
  firstPosition: bigint,
  events: readonly PreparedEvent[],
  recordedAt: Date,
): CommitDocument {
  return {
    _id: positionKey(firstPosition),
    l: firstPosition + BigInt(events.length - 1),
    s: streamId,
    c: streamCategory(streamId),
    v: firstVersion,
    w: firstVersion + events.length - 1,
    at: recordedAt,
    ids: events.map((event) => event.id),
    t: events.map((event) => event.type),
    sv: events.map((event) => event.schemaVersion),
    d: events.map((event) => event.data),
    m: events.map((event) => event.metadata),
  };
}

/** Reads an int64 however the driver hands it over (bigint, number, or a `Long` when the caller's options say so). */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'object' && value !== null && typeof (value as { toBigInt?: unknown }).toBigInt === 'function') {
    return (value as { toBigInt(): bigint }).toBigInt();
  }
  throw new TypeError(`[@eventfold/store-mongo] Expected a 64-bit integer, got ${String(value)}`);
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'object' && value !== null && typeof (value as { valueOf?: unknown }).valueOf === 'function') {
    return Number((value as { valueOf(): unknown }).valueOf());
  }
  throw new TypeError(`[@eventfold/store-mongo] Expected a number, got ${String(value)}`);
}

function strings(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new TypeError('[@eventfold/store-mongo] A commit document is malformed: expected an array of strings');
  }
  return value;
}

/** Checks and normalises a commit document read from the server. */
export function decodeCommit(raw: MongoDocument): CommitDocument {
  const ids = strings(raw.ids);
  const svRaw = raw.sv;
  if (!Array.isArray(svRaw)) throw new TypeError('[@eventfold/store-mongo] A commit document is malformed: sv');
  return {
    _id: String(raw._id),
    l: toBigInt(raw.l),
    s: String(raw.s),
    c: String(raw.c),
    v: toNumber(raw.v),
    w: toNumber(raw.w),
    at: raw.at instanceof Date ? raw.at : new Date(String(raw.at)),
    ids,
    t: strings(raw.t),
    sv: svRaw.map(toNumber),
    d: strings(raw.d),
    m: strings(raw.m),
  };
}

/** The `index`-th event of a commit, as recorded. */
export function recordedEvent(commit: CommitDocument, index: number): RecordedEvent {
  return {
    id: commit.ids[index] as string,
    type: commit.t[index] as string,
    schemaVersion: commit.sv[index] as number,
    streamId: commit.s,
    version: commit.v + index,
    position: firstPosition(commit) + BigInt(index),
    data: JSON.parse(commit.d[index] as string),
    metadata: JSON.parse(commit.m[index] as string) as EventMetadata,
    // A copy per event, so a caller changing one date changes nothing else.
    recordedAt: new Date(commit.at.getTime()),
  };
}

/** Every event of a commit, in order. */
export function recordedEvents(commit: CommitDocument): RecordedEvent[] {
  return commit.ids.map((_, index) => recordedEvent(commit, index));
}
