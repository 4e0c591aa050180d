import { expect } from 'vitest';
import { type EventfoldError, type EventfoldErrorCode, isEventfoldError } from '../../errors.js';
import type { RecordedEvent } from '../../event.js';
import type { EventStore, ExpectedVersion, ReadAllOptions } from '../../event-store.js';
import type { Position } from '../../position.js';
import { uuidv7 } from '../../uuid.js';

/** The property laws of the suite, each with its own number of runs. */
export type PropertyLaw = 'roundTrip' | 'expectedVersion' | 'readStream' | 'model' | 'concurrency';

/** Default runs per law, tuned for an in-memory store; scale them down for a real server. */
export const DEFAULT_NUM_RUNS: Readonly<Record<PropertyLaw, number>> = {
  roundTrip: 100,
  expectedVersion: 100,
  readStream: 100,
  model: 200,
  concurrency: 100,
};

/** The fast-check parameters the suite passes to `fc.assert`. */
export interface FcRunParameters {
  readonly numRuns: number;
  readonly verbose: boolean;
  readonly seed?: number;
  readonly path?: string;
}

/** Suite options with every default filled in. */
export interface ResolvedConformanceOptions {
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly leaseTtlMs: number;
  readonly notificationTimeoutMs: number;
  readonly clockSkewMs: number;
  readonly numRuns: Readonly<Record<PropertyLaw, number>>;
  readonly seed: number | undefined;
  readonly path: string | undefined;
  readonly replayPath: string | undefined;
}

/** What every group of laws gets: the shared store, the options, and fast-check parameters. */
export interface ConformanceContext {
  readonly options: ResolvedConformanceOptions;
  /** The store shared by the suite's tests (opened in `beforeAll`). */
  store(): EventStore;
  /** Opens one more store with the adapter's factory; the caller closes it. */
  openStore(): Promise<EventStore>;
  /** fast-check parameters of a law: its number of runs, verbose reports, and a replayed seed/path if given. */
  fcParameters(law: PropertyLaw): FcRunParameters;
}

/**
 * A fresh namespace: a random lower-case prefix that is a valid stream category. Every test
 * (and every property run) writes only streams under its own namespace, because the store is
 * shared with other tests and with earlier runs, and is never assumed empty.
 */
export function namespace(): string {
  return `cf${uuidv7().replaceAll('-', '').slice(-14)}`;
}

/** A fresh event id (a UUIDv7, which every store accepts). */
export function eventId(): string {
  return uuidv7();
}

/** The suite's own oracle of the expected-version check (independent of any store's code). */
export function satisfies(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no-stream') return actual === 0;
  if (expected === 'exists') return actual > 0;
  return expected === actual;
}

/** Asserts that `action` rejects with an Eventfold error of `code`, and returns that error. */
export async function expectEventfoldError(action: Promise<unknown>, code: EventfoldErrorCode): Promise<EventfoldError> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a rejection with code ${code}`).toBeDefined();
  expect(caught).toBeInstanceOf(Error);
  expect(isEventfoldError(caught), `expected an EventfoldError (code ${code}), got ${String(caught)}`).toBe(true);
  const error = caught as EventfoldError;
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  expect(typeof error.retryable).toBe('boolean');
  return error;
}

/**
 * Reads `readAll` page by page until a page comes back empty, resuming after the last position
 * each time, exactly as a subscriber does. Stores may return fewer events than `limit`; an empty
 * page means nothing more is visible.
 */
export async function readAllPages(
  store: EventStore,
  options: ReadAllOptions & { after: Position },
  maxPages = 100_000,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after = options.after;
  for (let page = 0; page < maxPages; page++) {
    const batch = await store.readAll({ ...options, after });
    if (batch.length === 0) return events;
    if (options.limit !== undefined) expect(batch.length).toBeLessThanOrEqual(options.limit);
    for (const event of batch) {
      expect(event.position > after, `readAll({ after: ${after} }) returned position ${event.position}`).toBe(true);
      after = event.position;
      events.push(event);
    }
  }
  throw new Error(`readAll did not reach its end within ${maxPages} pages`);
}

/** Events of a namespace (its streams' ids start with it), in the order given. */
export function inNamespace(events: readonly RecordedEvent[], ns: string): RecordedEvent[] {
  return events.filter((event) => event.streamId.startsWith(ns));
}

/** Asserts that positions strictly increase and that each stream's versions increase in this order. */
export function expectStoreOrder(events: readonly RecordedEvent[]): void {
  const lastVersion = new Map<string, number>();
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as RecordedEvent;
    expect(typeof event.position).toBe('bigint');
    if (index > 0) {
      const previous = (events[index - 1] as RecordedEvent).position;
      expect(event.position > previous, `position ${event.position} follows ${previous}`).toBe(true);
    }
    const last = lastVersion.get(event.streamId) ?? 0;
    expect(event.version, `version order of stream ${event.streamId}`).toBeGreaterThan(last);
    lastVersion.set(event.streamId, event.version);
  }
}

/** Asserts that a stream's events have the versions 1..n in order. */
export function expectContiguous(events: readonly RecordedEvent[], streamId: string): void {
  expect(events.map((event) => event.version)).toEqual(events.map((_, index) => index + 1));
  for (const event of events) expect(event.streamId).toBe(streamId);
}

/** The value a store reads back for `value`: its JSON form. */
export function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}
