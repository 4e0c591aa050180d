// A copy of @eventfold/core's src/internal/append-input.ts and expected-version.ts, which core does not
// export yet: every store must reject bad input exactly as the in-memory store does. Drop this file
// once core exports them for adapters (see the package notes).
import { type AppendOptions, assertValidStreamId, type ExpectedVersion, type NewEvent, ValidationError } from '@eventfold/core';

/** True when a stream at `actual` satisfies `expected`. */
export function satisfiesExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no-stream':
      return actual === 0;
    case 'exists':
      return actual > 0;
    default:
      return actual === expected;
  }
}

function assertValidExpectedVersion(expected: unknown): asserts expected is ExpectedVersion {
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
 * The input checks every store runs before it writes anything: a valid stream id and expected
 * version, a non-empty batch of events with string types, and no event id twice in one batch.
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
