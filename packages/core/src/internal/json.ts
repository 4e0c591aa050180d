import { ValidationError } from '../errors.js';

/**
 * Copies a value the way a store will keep it: through JSON. Rejects what JSON cannot
 * represent (bigint, cycles, a bare `undefined` or function) with a typed error instead of
 * storing something that reads back different.
 */
export function cloneAsJson(value: unknown, path: readonly (string | number)[]): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError('Value is not JSON-serialisable', [{ message: (error as Error).message, path }], { cause: error });
  }
  if (text === undefined) {
    throw new ValidationError('Value is not JSON-serialisable', [{ message: `${typeof value} has no JSON form`, path }]);
  }
  return JSON.parse(text);
}

/** Freezes a JSON value and everything in it, so readers cannot change what the store holds. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
