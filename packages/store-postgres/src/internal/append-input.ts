// The input checks every store runs before it writes, re-implemented identically to core's
// `internal/append-input.ts`, `internal/expected-version.ts` and `internal/json.ts`, which
// `@eventfold/core` does not export. Keep them in step with core (the conformance suite's
// validation laws catch a drift).
import { type AppendOptions, assertValidStreamId, type ExpectedVersion, type NewEvent, ValidationError } from '@eventfold/core';

/** Rejects an expected version that no stream can ever be at. */
export function assertValidExpectedVersion(expected: unknown): asserts expected is ExpectedVersion {
  const valid =
    expected === 'any' ||
    expected === 'no-stream' ||
    expected === 'exists' ||
    (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0);
  if (!valid) {
    throw new ValidationError('Invalid expected version', [
      { message: `expected a version >= 0, 'no-stream', 'exists' or 'any', got ${JSON.stringify(expected)}`, path: ['expectedVersion'] },
    ]);
  }
}

/**
 * A valid stream id and expected version, a non-empty batch of events with string types, and no
 * event id twice in one batch. Returns the expected version (default `'any'`).
 */
export function checkAppendInput(streamId: unknown, events: readonly NewEvent[], options: AppendOptions | undefined): ExpectedVersion {
  assertValidStreamId(streamId);
  const expected = options?.expectedVersion ?? 'any';
  assertValidExpectedVersion(expected);
  if (!Array.isArray(events) || events.length === 0) {
    throw new ValidationError('Invalid append', [{ message: 'an append needs at least one event', path: ['events'] }]);
  }
  const ids = new Set<string>();
  events.forEach((event, index) => {
    if (typeof event?.type !== 'string' || event.type.length === 0) {
      throw new ValidationError('Invalid event', [{ message: 'type must be a non-empty string', path: ['events', index, 'type'] }]);
    }
    if (event.id !== undefined) {
      if (typeof event.id !== 'string' || event.id.length === 0) {
        throw new ValidationError('Invalid event', [{ message: 'id must be a non-empty string', path: ['events', index, 'id'] }]);
      }
      if (ids.has(event.id)) {
        throw new ValidationError('Invalid append', [
          { message: `event id ${event.id} appears twice in one append`, path: ['events', index, 'id'] },
        ]);
      }
      ids.add(event.id);
    }
    if (event.schemaVersion !== undefined && !(Number.isInteger(event.schemaVersion) && event.schemaVersion >= 1)) {
      throw new ValidationError('Invalid event', [
        { message: 'schemaVersion must be an integer >= 1', path: ['events', index, 'schemaVersion'] },
      ]);
    }
  });
  return expected;
}

/**
 * The JSON text of a value, as the store will keep it. Rejects what JSON cannot represent
 * (bigint, cycles, a bare `undefined` or function) with a typed error instead of storing
 * something that reads back different.
 */
export function jsonText(value: unknown, path: readonly (string | number)[]): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError('Value is not JSON-serialisable', [{ message: (error as Error).message, path }], { cause: error });
  }
  if (text === undefined) {
    throw new ValidationError('Value is not JSON-serialisable', [{ message: `${typeof value} has no JSON form`, path }]);
  }
  return text;
}
