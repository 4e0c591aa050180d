import type { Inbox, InboxOutcome } from '../inbox.js';

/** An {@link Inbox} in memory. Concurrent calls for one message wait for each other, so the work runs once. */
export function inMemoryInbox(): Inbox {
  const processed = new Set<string>();
  const inFlight = new Map<string, Promise<unknown>>();
  // JSON keeps the pair unambiguous whatever characters the names contain.
  const keyOf = (consumer: string, messageId: string) => JSON.stringify([consumer, messageId]);

  async function runOnce(consumer: string, messageId: string, work: () => Promise<void>): Promise<InboxOutcome> {
    const key = keyOf(consumer, messageId);
    for (let pending = inFlight.get(key); pending !== undefined; pending = inFlight.get(key)) {
      await pending.catch(() => undefined);
    }
    if (processed.has(key)) return 'duplicate';
    const running = work().then(() => {
      processed.add(key);
    });
    inFlight.set(key, running);
    try {
      await running;
      return 'processed';
    } finally {
      inFlight.delete(key);
    }
  }

  return {
    runOnce,
    async has(consumer, messageId) {
      return processed.has(keyOf(consumer, messageId));
    },
  };
}
