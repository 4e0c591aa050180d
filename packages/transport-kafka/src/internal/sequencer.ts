import { DeadLetterHeaders, type Inbox, type IncomingMessage, MessageHeaders, type OutgoingMessage } from '@eventfold/core';
import type { KafkaTransport } from '../kafka-transport.js';

/** What the sequencer needs to know about its consumer. */
export interface SequencerSettings {
  readonly transport: KafkaTransport;
  readonly inbox: Inbox;
  /** The consumer's name: its inbox records and its dead letters (`dlq-consumer`) carry it. */
  readonly consumer: string;
  readonly deadLetterTopic: (topic: string) => string;
  readonly now: () => Date;
}

/** The error name of a parked message in its dead-letter topic. */
export const PARKED_ERROR_NAME = 'ParkedBehindDeadLetter';

/**
 * The bookkeeping of a sequenced consumer: per key, the ids of its messages that are in the
 * dead-letter topic and not handled yet, in dead-letter order. A key with such ids is blocked:
 * its next message is handled only if it is the first of them (a replay, in turn); any other
 * message of the key is parked in the dead-letter topic behind them.
 *
 * The state is derived, never stored: the dead-letter topic says what went there (for this
 * consumer, from these topics), and the inbox says what has been handled since. It is rebuilt on
 * the first batch after every group join (another member may have parked messages meanwhile),
 * and kept up to date in between by watching this consumer's own dead-letter publishes.
 */
export interface Sequencer {
  /** Marks the state stale: the next batch rebuilds it first. */
  invalidate(): void;
  /** Wraps the handler the core consumer gave the transport. */
  wrap(
    handler: (batch: readonly IncomingMessage[]) => Promise<void>,
    topics: readonly string[],
  ): (batch: readonly IncomingMessage[]) => Promise<void>;
  /** Publishes through the transport, noting this consumer's dead letters on the way. */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /** Keys currently blocked, with the ids waiting in the dead-letter topic (first one first). */
  blocked(): Map<string, readonly string[]>;
  /** Forgets a waiting id (handled by other means), unblocking its key when it was the last. */
  forget(key: string, messageId: string): void;
  readonly parked: number;
}

/** See {@link Sequencer}. */
export function sequencer(settings: SequencerSettings): Sequencer {
  const { transport, inbox, consumer, deadLetterTopic, now } = settings;
  let waiting = new Map<string, string[]>();
  let stale = true;
  let rebuilding: Promise<void> | undefined;
  let parked = 0;
  /** Ids dead-lettered while their handler call runs: a replayed head that fails again stays the head. */
  const deadLetteredNow = new Set<string>();

  async function rebuild(topics: readonly string[]): Promise<void> {
    const next = new Map<string, string[]>();
    for (const topic of topics) {
      for (const letter of await transport.readTopic(deadLetterTopic(topic))) {
        const id = letter.headers[MessageHeaders.eventId];
        if (letter.key === null || id === undefined) continue;
        if (letter.headers[DeadLetterHeaders.consumer] !== consumer || letter.headers[DeadLetterHeaders.originalTopic] !== topic) continue;
        const ids = next.get(letter.key) ?? [];
        if (!ids.includes(id)) ids.push(id);
        next.set(letter.key, ids);
      }
    }
    for (const [key, ids] of next) {
      const open: string[] = [];
      for (const id of ids) if (!(await inbox.has(consumer, id))) open.push(id);
      if (open.length > 0) next.set(key, open);
      else next.delete(key);
    }
    waiting = next;
  }

  function ensureFresh(topics: readonly string[]): Promise<void> {
    rebuilding ??= (async () => {
      // A join during the rebuild marks the state stale again: go round until it stays fresh.
      while (stale) {
        stale = false;
        await rebuild(topics).catch((error: unknown) => {
          stale = true;
          throw error;
        });
      }
    })().finally(() => {
      rebuilding = undefined;
    });
    return rebuilding;
  }

  function note(key: string, id: string): void {
    const ids = waiting.get(key) ?? [];
    if (!ids.includes(id)) ids.push(id);
    waiting.set(key, ids);
  }

  function forget(key: string, id: string): void {
    const ids = waiting.get(key)?.filter((waitingId) => waitingId !== id) ?? [];
    if (ids.length > 0) waiting.set(key, ids);
    else waiting.delete(key);
  }

  async function park(message: IncomingMessage, key: string, head: string): Promise<void> {
    const at = now().toISOString();
    const headers = {
      ...message.headers,
      [DeadLetterHeaders.errorName]: PARKED_ERROR_NAME,
      [DeadLetterHeaders.errorMessage]: `Parked: key "${key}" waits until dead letter ${head} is replayed`,
      [DeadLetterHeaders.attempts]: '0',
      [DeadLetterHeaders.firstFailureAt]: at,
      [DeadLetterHeaders.lastFailureAt]: at,
      [DeadLetterHeaders.originalTopic]: message.topic,
      [DeadLetterHeaders.originalPartition]: String(message.partition),
      [DeadLetterHeaders.originalOffset]: message.offset,
      [DeadLetterHeaders.consumer]: consumer,
    };
    await transport.publish(deadLetterTopic(message.topic), [{ key, value: message.value, headers }]);
    note(key, message.headers[MessageHeaders.eventId] as string);
    parked++;
  }

  /** The first waiting id of the key that is not handled yet: ids handled by other means (a release, another member) drop out. */
  async function headOf(key: string): Promise<string | undefined> {
    for (let ids = waiting.get(key); ids !== undefined && ids.length > 0; ids = waiting.get(key)) {
      const first = ids[0] as string;
      if (!(await inbox.has(consumer, first))) return first;
      forget(key, first);
    }
    return undefined;
  }

  async function handleOne(message: IncomingMessage, handler: (batch: readonly IncomingMessage[]) => Promise<void>): Promise<void> {
    const id = message.headers[MessageHeaders.eventId];
    const key = message.key;
    // Without a key or an event id there is nothing to keep in order, or to recognise on replay.
    if (key === null || id === undefined || !waiting.has(key)) return handler([message]);
    const head = await headOf(key);
    if (head === undefined) return handler([message]);
    if (id === head) {
      deadLetteredNow.delete(id);
      await handler([message]);
      if (!deadLetteredNow.delete(id)) forget(key, id);
      return;
    }
    // Handled before the key was blocked (a redelivery): let the inbox skip it.
    if (!waiting.get(key)?.includes(id) && (await inbox.has(consumer, id))) return handler([message]);
    await park(message, key, head);
  }

  return {
    invalidate() {
      stale = true;
    },
    wrap(handler, topics) {
      return async (batch) => {
        if (stale) await ensureFresh(topics);
        for (const message of batch) await handleOne(message, handler);
      };
    },
    async publish(topic, messages) {
      await transport.publish(topic, messages);
      for (const message of messages) {
        const id = message.headers?.[MessageHeaders.eventId];
        if (message.key === null || id === undefined || message.headers?.[DeadLetterHeaders.consumer] !== consumer) continue;
        note(message.key, id);
        deadLetteredNow.add(id);
      }
    },
    blocked: () => new Map([...waiting].map(([key, ids]) => [key, [...ids]])),
    forget,
    get parked() {
      return parked;
    },
  };
}
