import { ValidationError } from '../errors.js';
import type { ExpectedVersion } from '../event-store.js';

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
