import { ConfigurationError } from './errors.js';
import { integerOption, numberOption } from './internal/options.js';

/**
 * How often and how patiently to retry a transient failure: exponential backoff, capped,
 * with random jitter so that many clients failing together do not retry in lockstep.
 */
export interface RetryPolicy {
  /** Most attempts in total, the first one included (1 = never retry). @defaultValue 5 */
  readonly maxAttempts: number;
  /** Delay after the first failure, before jitter; each further failure doubles it. @defaultValue 100 */
  readonly baseDelayMs: number;
  /** Cap on the delay, before jitter. @defaultValue 10_000 */
  readonly maxDelayMs: number;
  /**
   * Share of each delay drawn at random, from 0 (none: exactly the exponential delay) to 1
   * ("full jitter": anywhere between 0 and the exponential delay, which spreads competing
   * retriers best).
   * @defaultValue 1
   */
  readonly jitter?: number;
}

/** The policy used where none is given. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000, jitter: 1 });

/**
 * Fills a partial policy with the defaults and checks it.
 *
 * @param option - names the option in error messages, e.g. `'retry'`.
 * @throws {@link ConfigurationError} for a non-integer `maxAttempts` below 1, negative delays,
 * `maxDelayMs` below `baseDelayMs`, or `jitter` outside 0..1.
 */
export function retryPolicy(options: Partial<RetryPolicy> = {}, option = 'retry'): RetryPolicy {
  const maxAttempts = integerOption(options.maxAttempts, `${option}.maxAttempts`, DEFAULT_RETRY_POLICY.maxAttempts, 1);
  const baseDelayMs = numberOption(options.baseDelayMs, `${option}.baseDelayMs`, DEFAULT_RETRY_POLICY.baseDelayMs, 0);
  const maxDelayMs = numberOption(options.maxDelayMs, `${option}.maxDelayMs`, Math.max(baseDelayMs, DEFAULT_RETRY_POLICY.maxDelayMs), 0);
  const jitter = numberOption(options.jitter, `${option}.jitter`, DEFAULT_RETRY_POLICY.jitter ?? 1, 0, 1);
  if (maxDelayMs < baseDelayMs) {
    throw new ConfigurationError(
      `[@eventfold/core] Option \`${option}.maxDelayMs\` (${maxDelayMs}) must be at least \`${option}.baseDelayMs\` (${baseDelayMs}).`,
    );
  }
  return Object.freeze({ maxAttempts, baseDelayMs, maxDelayMs, jitter });
}

/**
 * The delay before retrying after `attempt` failed attempts: `baseDelayMs · 2^(attempt − 1)`,
 * capped at `maxDelayMs`, then reduced by a random share of up to `jitter`, rounded to whole
 * milliseconds. So the result lies in `[round(ceiling · (1 − jitter)), round(ceiling)]`, where
 * `ceiling` is the capped exponential delay.
 *
 * @param attempt - failed attempts so far, from 1 (0 is read as 1).
 * @param random - a source of numbers in `[0, 1)`; inject one to make delays deterministic in tests.
 * @throws {@link ConfigurationError} when `attempt` is not a number >= 0.
 *
 * @example
 * ```ts
 * for (let attempt = 1; ; attempt++) {
 *   try { return await send(); } catch (error) {
 *     if (attempt >= policy.maxAttempts) throw error;
 *     await setTimeout(backoffDelay(attempt, policy));
 *   }
 * }
 * ```
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'jitter'>,
  random: () => number = Math.random,
): number {
  if (!(attempt >= 0)) {
    throw new ConfigurationError(`[@eventfold/core] backoffDelay: attempt must be a number >= 0, got ${String(attempt)}.`);
  }
  // Doubling past the cap is pointless, and 2 ** 1100 would overflow to Infinity (and 0 · Infinity is NaN).
  const doublings = Math.min(Math.max(0, Math.floor(attempt) - 1), 52);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
  const jitter = policy.jitter ?? DEFAULT_RETRY_POLICY.jitter ?? 1;
  return Math.round(ceiling * (1 - jitter * random()));
}
