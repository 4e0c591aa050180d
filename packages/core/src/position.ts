import { ValidationError } from './errors.js';

/**
 * A store-wide cursor. Positions strictly increase in the order subscribers see events,
 * so a reader that remembers the last position it handled can resume after it.
 *
 * Positions are `bigint` in every store. They are not dense: a store may leave holes
 * (rolled-back transactions, abandoned counters), so never assume `next = last + 1`.
 */
export type Position = bigint;

/** The position before the first event: `readAll({ after: START })` reads from the beginning. */
export const START: Position = 0n;

/** Parses a position stored as text (checkpoints, headers). Throws a `ValidationError` on anything but a non-negative integer. */
export function parsePosition(text: string): Position {
  if (!/^\d+$/.test(text)) {
    throw new ValidationError('Invalid position', [{ message: `expected a non-negative integer, got ${JSON.stringify(text)}`, path: [] }]);
  }
  return BigInt(text);
}
