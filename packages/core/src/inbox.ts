/** Outcome of {@link Inbox.runOnce}. */
export type InboxOutcome = 'processed' | 'duplicate';

/**
 * Remembers which messages a consumer has already handled, so a redelivered message is skipped.
 *
 * On a store with transactions the record and the work commit together, so a crash can never
 * leave one without the other. Elsewhere the record is written after the work succeeds: a crash
 * in between repeats the work once more, so the work must be idempotent (derive ids of its
 * effects from the message id).
 */
export interface Inbox {
  /**
   * Runs `work` unless `messageId` was already processed by `consumer`, then records it.
   * Concurrent calls with the same key run `work` at most once to completion.
   * When `work` throws, nothing is recorded and the error propagates.
   */
  runOnce(consumer: string, messageId: string, work: () => Promise<void>): Promise<InboxOutcome>;
  /** True when `messageId` was processed by `consumer`. */
  has(consumer: string, messageId: string): Promise<boolean>;
}
