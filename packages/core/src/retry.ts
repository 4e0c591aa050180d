/** How an operation is retried: bounded attempts with exponential backoff and full jitter. */
export interface RetryPolicy {
  /** Total attempts, the first one included. */
  maxAttempts: number;
  /** Delay before the second attempt, before jitter. */
  baseDelayMs: number;
  /** Upper bound of any single delay. */
  maxDelayMs: number;
}

/**
 * The delay before attempt `attempt + 1`: a random value in `[0, min(maxDelayMs, baseDelayMs * 2^(attempt-1))]`
 * ("full jitter"), so competing retriers spread out instead of colliding again.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}
