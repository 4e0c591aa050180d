import { ValidationError } from '@eventfold/core';

/**
 * Encodes a value as the JSON text the store keeps. Event data, metadata and snapshot state are
 * stored as JSON strings, not as BSON sub-documents: FerretDB rejects nested arrays, `$` or `.` in
 * keys and infinities (and drops the connection on NaN), MongoDB treats `$` keys specially, and BSON
 * would bring back integers and doubles differently. As text, every server stores exactly what
 * `JSON.stringify` produced, and reading gives what the in-memory store gives.
 */
export function toJsonText(value: unknown, path: readonly (string | number)[]): string {
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
