import { ValidationError } from './errors.js';
import type { NewEvent } from './event.js';
import type { AppendOptions, ExpectedVersion } from './event-store.js';
import { assertValidExpectedVersion } from './internal/expected-version.js';
import { assertValidStreamId } from './stream-id.js';

/**
 * Input checks every store runs before it writes anything, so bad input is rejected the
 * same way by all of them (for store adapters): a valid stream id and expected version, a non-empty batch of
 * events with string types, and no event id twice in one batch.
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
