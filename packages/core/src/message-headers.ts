import { ValidationError, type ValidationIssue } from './errors.js';
import type { EventMetadata, RecordedEvent } from './event.js';
import { deepFreeze } from './internal/json.js';
import { parsePosition } from './position.js';
import { assertValidStreamId } from './stream-id.js';
import type { Headers, OutgoingMessage } from './transport.js';

/**
 * Names of the headers Eventfold sets on every event message. They mirror the recorded event,
 * so brokers' tools can route, filter and trace messages without parsing the payload.
 */
export const MessageHeaders = {
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  streamId: 'stream-id',
  streamVersion: 'stream-version',
  /** The store-wide position, as a decimal string. */
  position: 'position',
  /** When the store recorded the event, as an ISO 8601 string. */
  recordedAt: 'recorded-at',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
} as const;

/** Names of the headers a consumer adds when it moves a message to a dead-letter topic (the original headers are kept too). */
export const DeadLetterHeaders = {
  errorName: 'dlq-error-name',
  errorMessage: 'dlq-error-message',
  /** The `EventfoldError` code (or the `code` property of another error), when there is one. */
  errorCode: 'dlq-error-code',
  /** Attempts made before giving up, as a decimal string. */
  attempts: 'dlq-attempts',
  firstFailureAt: 'dlq-first-failure-at',
  lastFailureAt: 'dlq-last-failure-at',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  /** Name of the consumer that gave up. */
  consumer: 'dlq-consumer',
} as const;

/** A recorded event as a message: keyed by stream id, with the event in its headers and a JSON payload. */
export interface EventMessage extends OutgoingMessage {
  key: string;
  value: Uint8Array;
  headers: Headers;
}

/** What {@link messageToEvent} reads: an `IncomingMessage`, or anything shaped like one. */
export interface EventMessageInput {
  readonly value: Uint8Array;
  readonly headers: Readonly<Headers>;
  /** Used as `recordedAt` when the `recorded-at` header is absent. */
  readonly timestamp?: Date;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a recorded event into a message. The key is the stream id (so a stream stays on one
 * partition, in order); the headers are {@link MessageHeaders}; the value is the UTF-8 JSON text
 * of `{ "data": …, "metadata": … }`. Metadata travels whole in the value; its correlation id,
 * causation id and traceparent are copied into headers as well.
 *
 * @example
 * ```ts
 * const [event] = await store.readAll({ limit: 1 });
 * await transport.publish('user.created', [eventToMessage(event)]);
 * ```
 */
export function eventToMessage(event: RecordedEvent): EventMessage {
  const headers: Headers = {
    [MessageHeaders.eventId]: event.id,
    [MessageHeaders.eventType]: event.type,
    [MessageHeaders.schemaVersion]: String(event.schemaVersion),
    [MessageHeaders.streamId]: event.streamId,
    [MessageHeaders.streamVersion]: String(event.version),
    [MessageHeaders.position]: event.position.toString(),
    [MessageHeaders.recordedAt]: event.recordedAt.toISOString(),
  };
  const { correlationId, causationId, traceparent } = event.metadata;
  if (typeof correlationId === 'string') headers[MessageHeaders.correlationId] = correlationId;
  if (typeof causationId === 'string') headers[MessageHeaders.causationId] = causationId;
  if (typeof traceparent === 'string') headers[MessageHeaders.traceparent] = traceparent;
  const value = encoder.encode(JSON.stringify({ data: event.data, metadata: event.metadata }));
  return { key: event.streamId, value, headers };
}

/**
 * Turns a message written by {@link eventToMessage} back into a recorded event (data not yet
 * decoded by a catalog: pass the result to `catalog.decode` for that).
 *
 * @throws {@link ValidationError} listing every missing or malformed header and a value that is not the expected JSON.
 */
export function messageToEvent(message: EventMessageInput): RecordedEvent {
  const issues: ValidationIssue[] = [];
  const header = (name: string, check: (text: string) => string | undefined): string => {
    const text = message.headers[name];
    const problem = typeof text !== 'string' || text.length === 0 ? 'header is missing' : check(text);
    if (problem !== undefined) issues.push({ message: problem, path: ['headers', name] });
    return text ?? '';
  };
  const any = () => undefined;
  const counting = (text: string) =>
    /^[1-9]\d*$/.test(text) && Number.isSafeInteger(Number(text)) ? undefined : 'expected an integer >= 1';

  const id = header(MessageHeaders.eventId, any);
  const type = header(MessageHeaders.eventType, any);
  const schemaVersion = header(MessageHeaders.schemaVersion, counting);
  const streamId = header(MessageHeaders.streamId, (text) => problemOf(() => assertValidStreamId(text)));
  const version = header(MessageHeaders.streamVersion, counting);
  const position = header(MessageHeaders.position, (text) => problemOf(() => parsePosition(text)));
  const recordedAt = readRecordedAt(message, issues);
  const payload = readPayload(message.value, issues);
  if (issues.length > 0) throw new ValidationError('Invalid event message', issues);

  return deepFreeze({
    id,
    type,
    schemaVersion: Number(schemaVersion),
    streamId,
    version: Number(version),
    position: parsePosition(position),
    data: payload.data,
    metadata: payload.metadata,
    recordedAt,
  });
}

function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    const issue = (error as ValidationError).issues?.[0];
    return issue?.message ?? String(error);
  }
}

function readRecordedAt(message: EventMessageInput, issues: ValidationIssue[]): Date {
  const text = message.headers[MessageHeaders.recordedAt];
  if (text === undefined) {
    if (message.timestamp !== undefined) return new Date(message.timestamp.getTime());
    issues.push({ message: 'header is missing and the message has no timestamp', path: ['headers', MessageHeaders.recordedAt] });
    return new Date(Number.NaN);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) issues.push({ message: 'expected an ISO 8601 date', path: ['headers', MessageHeaders.recordedAt] });
  return date;
}

function readPayload(value: Uint8Array, issues: ValidationIssue[]): { data: unknown; metadata: EventMetadata } {
  const invalid = { data: undefined, metadata: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(value));
  } catch {
    issues.push({ message: 'expected UTF-8 JSON', path: ['value'] });
    return invalid;
  }
  if (!isPlainObject(parsed) || !('data' in parsed)) {
    issues.push({ message: 'expected an object { data, metadata }', path: ['value'] });
    return invalid;
  }
  const metadata = parsed.metadata ?? {};
  if (!isPlainObject(metadata)) {
    issues.push({ message: 'expected an object', path: ['value', 'metadata'] });
    return invalid;
  }
  return { data: parsed.data, metadata };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
