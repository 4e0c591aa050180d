import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from '@eventfold/core';
import type { KafkaClient, KafkaConsumer } from '../kafka-client.js';
import { classifyKafkaError } from './classify-error.js';
import { toIncomingMessage } from './messages.js';
import { PACKAGE } from './options.js';
import type { TopicAdmin } from './topic-admin.js';

/** Longest wait for a topic to be read to its end. */
const READ_TIMEOUT_MS = 60_000;

/**
 * Every message of a topic up to its end at the time of the call, in partition and offset order.
 *
 * kafkajs has no manual partition assignment, so this joins a throw-away consumer group (never
 * committing) that reads from the beginning until each partition reaches the end offset fetched
 * first, then deletes the group. Meant for small topics, such as dead-letter topics.
 */
export async function readTopic(
  client: KafkaClient,
  topics: TopicAdmin,
  topic: string,
  maxWaitTimeInMs: number,
): Promise<IncomingMessage[]> {
  let consumer: KafkaConsumer | undefined;
  const groupId = `eventfold.read-topic.${randomUUID()}`;
  try {
    const admin = await topics.admin();
    if (!(await admin.listTopics()).includes(topic)) return [];
    const ends = new Map<number, bigint>();
    for (const end of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(end.high) > BigInt(end.low)) ends.set(end.partition, BigInt(end.high));
    }
    if (ends.size === 0) return [];

    // Keyed by place: a kafkajs restart reads from the beginning again.
    const collected = new Map<string, IncomingMessage>();
    const reading = client.consumer({ groupId, maxWaitTimeInMs, allowAutoTopicCreation: false });
    consumer = reading;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${PACKAGE} Reading topic "${topic}" did not reach its end within ${READ_TIMEOUT_MS} ms`)),
        READ_TIMEOUT_MS,
      );
      timer.unref?.();
      reading.on('consumer.crash', (event) => {
        if (!event.payload.restart) {
          clearTimeout(timer);
          reject(event.payload.error);
        }
      });
      void (async () => {
        await reading.connect();
        await reading.subscribe({ topics: [topic], fromBeginning: true });
        await reading.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            if (end === undefined) return;
            for (const message of batch.messages) {
              if (BigInt(message.offset) < end)
                collected.set(`${batch.partition}/${message.offset}`, toIncomingMessage(topic, batch.partition, message));
            }
            if (BigInt(batch.lastOffset()) + 1n >= end) ends.delete(batch.partition);
            if (ends.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      })().catch((error: unknown) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    await done;
    return [...collected.values()].sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  } catch (error) {
    throw classifyKafkaError(error, { operation: 'readTopic', topic });
  } finally {
    if (consumer !== undefined) {
      await consumer.disconnect().catch(() => undefined);
      await topics
        .admin()
        .then((admin) => admin.deleteGroups([groupId]))
        .catch(() => undefined);
    }
  }
}
