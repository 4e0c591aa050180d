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
  /**
   * Optional: handles several messages as one unit, so a whole delivered batch costs one commit.
   * Calls `work` once with the indexes (ascending) of the `messageIds` not processed yet (a
   * repeated id counts once, at its first index; not at all when there is none), then records them, and returns each index's
   * outcome. When `work` throws, nothing is recorded and the error propagates. Concurrent calls
   * (and `runOnce` calls) sharing ids run each id's work at most once to completion.
   *
   * Implement it only where the effects of `work` commit and roll back with the records (one
   * database transaction): after a failure the consumer handles the batch again one message at a
   * time, which repeats the work of the messages before the failing one.
   */
  runBatch?(consumer: string, messageIds: readonly string[], work: (fresh: readonly number[]) => Promise<void>): Promise<InboxOutcome[]>;
}
