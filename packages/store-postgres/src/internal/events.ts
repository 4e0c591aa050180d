import {
  type AppendOptions,
  type AppendResult,
  checkAppendInput,
  checkReadAllOptions,
  checkReadStreamOptions,
  type EventMetadata,
  type ExpectedVersion,
  type NewEvent,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  uuidv7,
  ValidationError,
} from '@eventfold/core';
import { classifyError, leftToAppendFunction } from './classify-error.js';
import type { Executor } from './executor.js';
import { jsonText } from './json-text.js';
import type { AppendRow, EventRow, Statements, WrittenRow } from './statements.js';

/** Limits the event operations apply. */
export interface EventLimits {
  /** Largest data + metadata of one event, in UTF-8 bytes of their JSON. */
  readonly maxEventBytes: number;
  /** Most events one `readAll` call returns. */
  readonly readBatchSize: number;
}

const EXPECTED_CODES: Readonly<Record<string, number>> = { any: -1, 'no-stream': -2, exists: -3 };
const MAX_INT4 = 2_147_483_647;

/** Turns a stored row into a recorded event. */
export function recordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    version: row.version,
    position: BigInt(row.position),
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recordedAt: new Date(Number(row.recorded_ms)),
  };
}

/** A stored event as the append function returns it for a repeat: JSON, data already parsed. */
interface RepeatedEvent {
  position: string;
  version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_ms: string;
}

function repeatedEvent(event: RepeatedEvent, streamId: string): RecordedEvent {
  return {
    id: event.event_id,
    type: event.type,
    schemaVersion: event.schema_version,
    streamId,
    version: event.version,
    position: BigInt(event.position),
    data: event.data,
    metadata: event.metadata,
    recordedAt: new Date(Number(event.recorded_ms)),
  };
}

function utf8Length(text: string): number {
  // Each UTF-16 unit needs at most 3 bytes, so short texts skip the exact count.
  return text.length * 3 <= 65_536 ? text.length * 3 : Buffer.byteLength(text, 'utf8');
}

/** An append checked and encoded for the statements: one entry per event in each array. */
export interface EncodedAppend {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  /** The expected version as the statements take it: >= 0 exact, -1 any, -2 no stream, -3 exists. */
  readonly expectedCode: number;
  readonly ids: string[];
  readonly types: string[];
  readonly schemaVersions: number[];
  readonly dataTexts: string[];
  readonly metadataTexts: string[];
}

/** Checks an append and encodes its events; throws `ValidationError` for bad input. */
export function encodeAppend(
  limits: EventLimits,
  streamId: string,
  events: readonly NewEvent[],
  options: AppendOptions | undefined,
): EncodedAppend {
  const expected: ExpectedVersion = checkAppendInput(streamId, events, options);
  const count = events.length;
  const ids = new Array<string>(count);
  const types = new Array<string>(count);
  const schemaVersions = new Array<number>(count);
  const dataTexts = new Array<string>(count);
  const metadataTexts = new Array<string>(count);
  for (let index = 0; index < count; index++) {
    const event = events[index] as NewEvent;
    const data = jsonText(event.data, ['events', index, 'data']);
    const metadata = jsonText(event.metadata ?? {}, ['events', index, 'metadata']);
    if (utf8Length(data) + utf8Length(metadata) > limits.maxEventBytes) {
      const bytes = Buffer.byteLength(data, 'utf8') + Buffer.byteLength(metadata, 'utf8');
      if (bytes > limits.maxEventBytes) {
        throw new ValidationError('Event too large', [
          {
            message: `data and metadata take ${bytes} bytes of JSON, more than maxEventBytes (${limits.maxEventBytes})`,
            path: ['events', index],
          },
        ]);
      }
    }
    ids[index] = event.id ?? uuidv7();
    types[index] = event.type;
    schemaVersions[index] = event.schemaVersion ?? 1;
    dataTexts[index] = data;
    metadataTexts[index] = metadata;
  }
  const expectedCode = typeof expected === 'number' ? expected : (EXPECTED_CODES[expected] as number);
  return { streamId, expected, expectedCode, ids, types, schemaVersions, dataTexts, metadataTexts };
}

/** What an append wrote, from the first position and version the statement returned. */
export function writtenAppend(append: EncodedAppend, firstPosition: bigint, firstVersion: number, recordedMs: number): AppendResult {
  const { streamId, ids, types, schemaVersions, dataTexts, metadataTexts } = append;
  const count = ids.length;
  const recorded = new Array<RecordedEvent>(count);
  for (let index = 0; index < count; index++) {
    recorded[index] = {
      id: ids[index] as string,
      type: types[index] as string,
      schemaVersion: schemaVersions[index] as number,
      streamId,
      version: firstVersion + index,
      position: firstPosition + BigInt(index),
      data: JSON.parse(dataTexts[index] as string),
      metadata: JSON.parse(metadataTexts[index] as string) as EventMetadata,
      recordedAt: new Date(recordedMs),
    };
  }
  return { streamId, version: firstVersion + count - 1, position: firstPosition + BigInt(count - 1), events: recorded };
}

/** The parameters of the append function and of the one-statement append. */
function appendValues(append: EncodedAppend): unknown[] {
  return [
    append.streamId,
    append.expectedCode,
    append.ids,
    append.types,
    `[${append.dataTexts.join(',')}]`,
    `[${append.metadataTexts.join(',')}]`,
    append.schemaVersions,
  ];
}

/**
 * Runs an append through the function, which waits for the stream's lock and answers every case:
 * written, a repeat of stored events, or the error. One round trip. `onWrite` is called when it
 * wrote (not for a repeat).
 */
export async function runAppend(executor: Executor, sql: Statements, append: EncodedAppend, onWrite: () => void): Promise<AppendResult> {
  const { streamId, expected } = append;
  let row: AppendRow;
  try {
    row = (await executor.run<AppendRow>(sql.append, appendValues(append)))[0] as AppendRow;
  } catch (error) {
    throw classifyError(error, { operation: 'append', streamId, expected });
  }
  if (row.repeat !== null) {
    const stored = (JSON.parse(row.repeat) as RepeatedEvent[]).map((event) => repeatedEvent(event, streamId));
    const last = stored[stored.length - 1] as RecordedEvent;
    return { streamId, version: last.version, position: last.position, events: stored };
  }
  onWrite();
  return writtenAppend(append, BigInt(row.position as string), row.version as number, Number(row.recorded_ms));
}

/**
 * Tries the one-statement append (outside any transaction, on prepared statements): the result
 * when it wrote, or `undefined` when it wrote nothing and left the answer to the function (a busy
 * stream, a failed expected version, or an error {@link leftToAppendFunction} recognises).
 */
export async function tryAppendStatement(
  executor: Executor,
  sql: Statements,
  append: EncodedAppend,
  onWrite: () => void,
): Promise<AppendResult | undefined> {
  let rows: WrittenRow[];
  try {
    rows = await executor.run<WrittenRow>(sql.appendAutocommit, appendValues(append));
  } catch (error) {
    if (leftToAppendFunction(error)) return undefined;
    throw classifyError(error, { operation: 'append', streamId: append.streamId, expected: append.expected });
  }
  const row = rows[0];
  if (row === undefined) return undefined;
  onWrite();
  return writtenAppend(append, BigInt(row.position), row.version, Number(row.recorded_ms));
}

/** Checks, encodes and runs one append through the function (see `runAppend`). */
export async function appendEvents(
  executor: Executor,
  sql: Statements,
  limits: EventLimits,
  streamId: string,
  events: readonly NewEvent[],
  options: AppendOptions | undefined,
  onWrite: () => void,
): Promise<AppendResult> {
  return runAppend(executor, sql, encodeAppend(limits, streamId, events, options), onWrite);
}

/** Reads one stream in version order, forward or backward. */
export async function readStreamEvents(
  executor: Executor,
  sql: Statements,
  streamId: string,
  options: ReadStreamOptions,
): Promise<RecordedEvent[]> {
  checkReadStreamOptions(options);
  const { fromVersion, limit } = options;
  if (limit === 0) return [];
  const backward = options.direction === 'backward';
  const from = backward ? Math.min(fromVersion ?? MAX_INT4, MAX_INT4) : (fromVersion ?? 1);
  try {
    const rows = await executor.run<EventRow>(backward ? sql.readStreamBackward : sql.readStreamForward, [streamId, from, limit ?? null]);
    return rows.map(recordedEvent);
  } catch (error) {
    throw classifyError(error, { operation: 'readStream', streamId });
  }
}

/** Reads the store-wide log after a position, up to the visibility horizon. */
export async function readAllEvents(
  executor: Executor,
  sql: Statements,
  limits: EventLimits,
  options: ReadAllOptions,
): Promise<RecordedEvent[]> {
  checkReadAllOptions(options);
  const after = options.after === undefined || options.after < START ? START : options.after;
  const limit = Math.min(options.limit ?? limits.readBatchSize, limits.readBatchSize);
  const { categories, types } = options;
  if (limit === 0 || categories?.length === 0 || types?.length === 0) return [];
  const values: unknown[] = [
    after.toString(),
    limit,
    categories === undefined ? null : [...categories],
    types === undefined ? null : [...types],
  ];
  try {
    return (await executor.run<EventRow>(sql.readAll, values)).map(recordedEvent);
  } catch (error) {
    throw classifyError(error, { operation: 'readAll' });
  }
}

/** The newest position below the visibility horizon. */
export async function readHeadPosition(executor: Executor, sql: Statements): Promise<Position> {
  try {
    const [row] = await executor.run<{ position: string }>(sql.headPosition, []);
    return row === undefined ? START : BigInt(row.position);
  } catch (error) {
    throw classifyError(error, { operation: 'headPosition' });
  }
}
