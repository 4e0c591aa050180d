import { type Position, ValidationError } from '@eventfold/core';
import { INDEX_BITS } from './internal/sql.js';

/** What a position of this store is made of. */
export interface PositionParts {
  /** The 64-bit id (`xid8`) of the transaction that appended the event. */
  readonly transactionId: bigint;
  /** The event's index among the events that transaction appended, from 0. */
  readonly index: number;
}

/**
 * Splits a position into its transaction id and index: position = transactionId × 2^20 + index.
 * In SQL: `position >> 20` and `position & 1048575`.
 *
 * @throws `ValidationError` for a negative position.
 */
export function positionParts(position: Position): PositionParts {
  if (typeof position !== 'bigint' || position < 0n) {
    throw new ValidationError('Invalid position', [{ message: `expected a non-negative bigint, got ${String(position)}`, path: [] }]);
  }
  return { transactionId: position >> BigInt(INDEX_BITS), index: Number(position & ((1n << BigInt(INDEX_BITS)) - 1n)) };
}
