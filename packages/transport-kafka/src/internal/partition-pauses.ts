import type { KafkaConsumer } from '../kafka-client.js';

/**
 * Who paused what, so that the two reasons for pausing never undo each other: the user pauses a
 * whole subscription (backpressure), and a partition whose batch failed is paused for the
 * redelivery delay. A partition fetches again only when neither reason holds.
 *
 * kafkajs keeps pauses in its consumer-group object, which a crash-restart replaces; `reapply()`
 * restores them after every group join.
 */
export interface PartitionPauses {
  /** Pauses one partition for the redelivery delay, then resumes it (unless the user paused everything meanwhile). */
  backoff(topic: string, partition: number): void;
  pauseAll(): void;
  resumeAll(): void;
  readonly pausedByUser: boolean;
  reapply(): void;
  /** Cancels pending resumes (on close). */
  clear(): void;
}

/** See {@link PartitionPauses}. */
export function partitionPauses(consumer: KafkaConsumer, topics: readonly string[], delayMs: number): PartitionPauses {
  const waiting = new Map<string, { topic: string; partition: number; timer: ReturnType<typeof setTimeout> }>();
  let pausedByUser = false;

  // kafkajs throws from pause/resume while it has no consumer group (before run, or between a crash
  // and its restart); the state kept here is applied again by reapply() on the next join.
  const attempt = (change: () => void) => {
    try {
      change();
    } catch {
      // see above
    }
  };
  const pauseOne = (topic: string, partition: number) => attempt(() => consumer.pause([{ topic, partitions: [partition] }]));
  const pauseEvery = () => attempt(() => consumer.pause(topics.map((topic) => ({ topic }))));

  return {
    backoff(topic, partition) {
      const key = `${topic}\u0000${partition}`;
      const previous = waiting.get(key);
      if (previous !== undefined) clearTimeout(previous.timer);
      pauseOne(topic, partition);
      const timer = setTimeout(() => {
        waiting.delete(key);
        if (!pausedByUser) attempt(() => consumer.resume([{ topic, partitions: [partition] }]));
      }, delayMs);
      timer.unref?.();
      waiting.set(key, { topic, partition, timer });
    },
    pauseAll() {
      pausedByUser = true;
      pauseEvery();
    },
    resumeAll() {
      pausedByUser = false;
      attempt(() => consumer.resume(topics.map((topic) => ({ topic }))));
      for (const { topic, partition } of waiting.values()) pauseOne(topic, partition);
    },
    get pausedByUser() {
      return pausedByUser;
    },
    reapply() {
      if (pausedByUser) pauseEvery();
      for (const { topic, partition } of waiting.values()) pauseOne(topic, partition);
    },
    clear() {
      for (const { timer } of waiting.values()) clearTimeout(timer);
      waiting.clear();
    },
  };
}
