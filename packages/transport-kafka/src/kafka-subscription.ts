import type { SubscribeOptions, Subscription } from '@eventfold/core';

/**
 * A subscription of the Kafka transport: the `Subscription` port, plus flow control.
 *
 * Backpressure is built in: kafkajs fetches the next batches only after the handler has
 * resolved for the current ones, so a slow handler slows the fetching and memory stays bounded
 * by `maxBytesPerPartition`. `pause()` stops fetching altogether, for instance while a
 * downstream system is known to be down.
 */
export interface KafkaSubscription extends Subscription {
  /** Stops fetching new batches for every partition of this subscription; the batch in flight still finishes and commits. Stays in the group (no rebalance). */
  pause(): void;
  /** Undoes {@link KafkaSubscription.pause}. A partition waiting out its redelivery delay resumes when the delay ends. */
  resume(): void;
  /** True between `pause()` and `resume()`. */
  readonly paused: boolean;
}

/** Options of `KafkaTransport.subscribe`: the port's, plus Kafka-only hooks. */
export interface KafkaSubscribeOptions extends SubscribeOptions {
  /**
   * Called (synchronously, from kafkajs) each time this member joins the group, with the
   * partitions it now owns. Batches of the new assignment may already be on their way: use it to
   * mark state stale, not to load it.
   */
  onAssignment?: (assignment: readonly { readonly topic: string; readonly partitions: readonly number[] }[]) => void;
}
