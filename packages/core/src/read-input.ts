import { ValidationError } from './errors.js';
import type { ReadAllOptions, ReadStreamOptions } from './event-store.js';

function nonNegativeInteger(value: unknown, path: string): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
    throw new ValidationError('Invalid read options', [{ message: `must be an integer >= 0, got ${String(value)}`, path: [path] }]);
  }
}

/**
 * Checks `readStream` options the way every store must: `fromVersion` and `limit` are
 * integers >= 0 and `direction` is `'forward'` or `'backward'`. For store adapters.
 *
 * @throws {@link ValidationError} naming the offending option.
 */
export function checkReadStreamOptions(options: ReadStreamOptions | undefined): void {
  if (options === undefined) return;
  nonNegativeInteger(options.fromVersion, 'fromVersion');
  nonNegativeInteger(options.limit, 'limit');
  if (options.direction !== undefined && options.direction !== 'forward' && options.direction !== 'backward') {
    throw new ValidationError('Invalid read options', [
      { message: `must be 'forward' or 'backward', got ${String(options.direction)}`, path: ['direction'] },
    ]);
  }
}

/**
 * Checks `readAll` options the way every store must: `after` is a bigint and `limit` an
 * integer >= 0. For store adapters.
 *
 * @throws {@link ValidationError} naming the offending option.
 */
export function checkReadAllOptions(options: ReadAllOptions | undefined): void {
  if (options === undefined) return;
  // A negative `after` is harmless: it reads from the start, like START.
  if (options.after !== undefined && typeof options.after !== 'bigint') {
    throw new ValidationError('Invalid read options', [
      { message: `must be a bigint position, got ${typeof options.after}`, path: ['after'] },
    ]);
  }
  nonNegativeInteger(options.limit, 'limit');
}
