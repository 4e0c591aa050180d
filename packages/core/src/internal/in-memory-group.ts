import type { IncomingMessage, PartitionLag } from '../transport.js';

/** A topic as the in-memory transport keeps it: one append-only array of messages per partition. */
export interface InMemoryTopic {
  readonly name: string;
  readonly partitions: readonly IncomingMessage[][];
}

/** One subscription's place in a group. */
export interface GroupMember {
  readonly topics: ReadonlySet<string>;
  readonly handler: (batch: readonly IncomingMessage[]) => Promise<void>;
  readonly onError: ((error: unknown) => void) | undefined;
  readonly fromBeginning: boolean;
}

interface Cursor {
  readonly topic: InMemoryTopic;
  readonly partition: number;
  /** Offset of the next message to deliver: everything before it is committed. */
  committed: number;
  owner: GroupMember | undefined;
  /**
   * The batch being handled, and by whom. While set, no member gets this partition, so a
   * rebalance never hands out a batch that an earlier owner is still handling.
   */
  inFlight: { readonly done: Promise<void>; readonly member: GroupMember } | undefined;
  /** Set while a failed batch waits out the redelivery delay. A flag cleared by the timer, not a deadline compared with `Date.now()`: timers may fire a little early by the wall clock, and a missed deadline would stall the partition. */
  waiting: boolean;
}

/** Settings a group takes from its transport. */
export interface GroupSettings {
  readonly maxBatchSize: number;
  readonly redeliveryDelayMs: number;
  /** Creates the topic on first use. */
  readonly topic: (name: string) => InMemoryTopic;
  /** Timers the transport clears on close. */
  readonly timers: Set<ReturnType<typeof setTimeout>>;
}

/** Consumer-group bookkeeping of the in-memory transport: assignment, committed offsets and delivery. */
export interface InMemoryGroup {
  join(member: GroupMember): void;
  /** Leaves the group at once (its partitions go to the others) and resolves when the member's batches in flight have finished. */
  leave(member: GroupMember): Promise<void>;
  /** Delivers what is deliverable; called after publishes, joins and batch completions. */
  schedule(): void;
  lag(member: GroupMember): PartitionLag[];
}

/**
 * A consumer group: members split the partitions of the topics they subscribe to (round robin
 * per topic, in join order), each partition is delivered to its owner one batch at a time, and
 * the committed offset moves only when the owner's handler resolves.
 */
export function inMemoryGroup(settings: GroupSettings): InMemoryGroup {
  const members: GroupMember[] = [];
  const cursors = new Map<string, Cursor>();
  let scheduled = false;

  function cursorsOf(topicName: string): Cursor[] {
    return [...cursors.values()].filter((cursor) => cursor.topic.name === topicName);
  }

  function rebalance(): void {
    const topics = new Set([...cursors.values()].map((cursor) => cursor.topic.name));
    for (const topicName of topics) {
      const eligible = members.filter((member) => member.topics.has(topicName));
      for (const cursor of cursorsOf(topicName)) {
        cursor.owner = eligible.length === 0 ? undefined : eligible[cursor.partition % eligible.length];
      }
    }
  }

  function deliver(cursor: Cursor, owner: GroupMember): void {
    const messages = cursor.topic.partitions[cursor.partition] ?? [];
    // Each delivery gets its own copy of the bytes, so a handler cannot change what a redelivery sees.
    const batch = messages
      .slice(cursor.committed, cursor.committed + settings.maxBatchSize)
      .map((message) => Object.freeze({ ...message, value: new Uint8Array(message.value) }));
    const handle = async (): Promise<void> => {
      try {
        await owner.handler(batch);
        cursor.committed += batch.length;
      } catch (error) {
        try {
          owner.onError?.(error);
        } catch {
          // A failing error callback must not stop redelivery.
        }
        cursor.waiting = true;
        const timer = setTimeout(() => {
          settings.timers.delete(timer);
          cursor.waiting = false;
          schedule();
        }, settings.redeliveryDelayMs);
        timer.unref?.();
        settings.timers.add(timer);
      } finally {
        cursor.inFlight = undefined;
        schedule();
      }
    };
    // Marked in flight before the handler starts, even if it throws synchronously.
    cursor.inFlight = { done: Promise.resolve().then(handle), member: owner };
  }

  function pump(): void {
    for (const cursor of cursors.values()) {
      const owner = cursor.owner;
      if (owner === undefined || cursor.inFlight !== undefined || cursor.waiting) continue;
      const length = cursor.topic.partitions[cursor.partition]?.length ?? 0;
      if (cursor.committed < length) deliver(cursor, owner);
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // setImmediate, not a microtask: handlers never run inside publish, and a busy group yields to timers and I/O.
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  }

  return {
    join(member) {
      for (const topicName of member.topics) {
        const topic = settings.topic(topicName);
        topic.partitions.forEach((messages, partition) => {
          const key = `${topicName}\u0000${partition}`;
          if (cursors.has(key)) return;
          const committed = member.fromBeginning ? 0 : messages.length;
          cursors.set(key, { topic, partition, committed, owner: undefined, inFlight: undefined, waiting: false });
        });
      }
      members.push(member);
      rebalance();
      schedule();
    },

    async leave(member) {
      const index = members.indexOf(member);
      if (index === -1) return;
      const draining = [...cursors.values()].filter((cursor) => cursor.inFlight?.member === member).map((cursor) => cursor.inFlight?.done);
      members.splice(index, 1);
      rebalance();
      await Promise.all(draining);
      schedule();
    },

    schedule,

    lag(member) {
      return [...cursors.values()]
        .filter((cursor) => cursor.owner === member)
        .map((cursor) => ({
          topic: cursor.topic.name,
          partition: cursor.partition,
          lag: (cursor.topic.partitions[cursor.partition]?.length ?? 0) - cursor.committed,
        }))
        .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    },
  };
}
