import { ValidationError } from '@eventfold/core';

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
