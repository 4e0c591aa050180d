import type { Inbox, InboxOutcome } from '@eventfold/core';
import { classifyMongoError, isDuplicateKeyError } from '../classify-error.js';
import type { MongoCollectionLike } from '../mongo-client-like.js';

/**
 * The consumer inbox: one document per handled message, `{ _id: [consumer, messageId] as JSON, at }`.
 * Without transactions the record is written after the work succeeds (the `Inbox` contract for such
 * stores): a crash in between runs the work again. Calls in this process for one message wait for
 * each other, so the work runs once here; across processes the work must be idempotent.
 */
export function mongoInbox(collection: MongoCollectionLike, ready: () => Promise<void>, now: () => Date): Inbox {
  const inFlight = new Map<string, Promise<unknown>>();
  const keyOf = (consumer: string, messageId: string) => JSON.stringify([consumer, messageId]);

  async function has(consumer: string, messageId: string): Promise<boolean> {
    await ready();
    try {
      return (await collection.findOne({ _id: keyOf(consumer, messageId) }, { projection: { _id: 1 } })) !== null;
    } catch (error) {
      throw classifyMongoError(error, `read the inbox of "${consumer}"`);
    }
  }

  async function record(consumer: string, messageId: string): Promise<void> {
    try {
      await collection.insertOne({ _id: keyOf(consumer, messageId), at: now() });
    } catch (error) {
      // Another process handled and recorded the same message meanwhile: the record is there.
      if (!isDuplicateKeyError(error)) throw classifyMongoError(error, `record message "${messageId}" in the inbox of "${consumer}"`);
    }
  }

  async function runOnce(consumer: string, messageId: string, work: () => Promise<void>): Promise<InboxOutcome> {
    const key = keyOf(consumer, messageId);
    for (let pending = inFlight.get(key); pending !== undefined; pending = inFlight.get(key)) {
      await pending.catch(() => undefined);
    }
    const running = (async (): Promise<InboxOutcome> => {
      if (await has(consumer, messageId)) return 'duplicate';
      await work();
      await record(consumer, messageId);
      return 'processed';
    })();
    inFlight.set(key, running);
    try {
      return await running;
    } finally {
      if (inFlight.get(key) === running) inFlight.delete(key);
    }
  }

  return { runOnce, has };
}
