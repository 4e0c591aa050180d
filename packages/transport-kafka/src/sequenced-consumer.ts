import { type Consumer, type ConsumerOptions, type ConsumerStats, consumer, type RecordedEvent, type Transport } from '@eventfold/core';
import { configurationError, nameOption } from './internal/options.js';
import { sequencer } from './internal/sequencer.js';
import type { KafkaTransport } from './kafka-transport.js';

/** Options of {@link sequencedConsumer}: core's consumer options, on a Kafka transport. */
export type SequencedConsumerOptions<Message = RecordedEvent> = ConsumerOptions<Message> & {
  transport: KafkaTransport;
};

/** Counters of a sequenced consumer. */
export interface SequencedConsumerStats extends ConsumerStats {
  /** Messages parked behind a dead letter of their key. */
  readonly parked: number;
}

/** A consumer that keeps each key's messages in order around dead letters. */
export interface SequencedConsumer extends Consumer {
  stats(): SequencedConsumerStats;
  /** Keys whose messages are being parked, with the event ids waiting in the dead-letter topic (the one to replay first, first). As this member knows them. */
  blocked(): Map<string, readonly string[]>;
  /**
   * Gives up on a dead letter without replaying it: records it as handled in the inbox, so its
   * key waits only for the messages parked behind it (replay those, e.g. with a `filter` that
   * leaves this one out). Every member of the group sees it: they check the inbox.
   */
  release(key: string, messageId: string): Promise<void>;
}

/**
 * Core's idempotent consumer, sequenced per key: once a message with key K is dead-lettered, K's
 * later messages are parked in the dead-letter topic behind it, so a stream's events never take
 * effect out of order, while other keys keep flowing. Replaying the dead-letter topic
 * (`replayDeadLetters`) after the fix releases K: its messages come back in their original order,
 * are handled in turn, and when the last one has taken effect K flows normally again.
 *
 * The state is not stored anywhere new: it is read back from the dead-letter topic (messages of
 * this consumer, with an `event-id`) and the inbox (what has been handled since) at every group
 * join, so it survives crashes, restarts and rebalances. That read joins a throw-away consumer
 * group, about a second per join; keep dead-letter topics small (replay, then let retention
 * clear them).
 *
 * Needs the `event-id` header (events published by the relay have it): messages without one, or
 * without a key, are handled as by the plain consumer. A parked message is a dead letter with
 * `dlq-error-name: ParkedBehindDeadLetter` and `dlq-attempts: 0`. Each message is handled in
 * its own inbox unit (`handleBatch`, if given, gets one message at a time): whether a message
 * is parked depends on the outcome of the one before it.
 *
 * @example
 * ```ts
 * const users = sequencedConsumer({
 *   transport, inbox: store.inbox, name: 'registrations.users', topics: ['user.created'],
 *   handle: async (event) => { await knownUsers.apply(event); },
 * });
 * await users.start();
 * // later, after fixing the bug:
 * const replay = await replayDeadLetters({ transport, topics: ['user.created.dlq'] });
 * ```
 * @throws `ConfigurationError` for missing or invalid options.
 */
export function sequencedConsumer<Message = RecordedEvent>(options: SequencedConsumerOptions<Message>): SequencedConsumer {
  const transport = options?.transport;
  if (transport === undefined || typeof transport.readTopic !== 'function') {
    throw configurationError('Option `transport` is required: pass a kafkaTransport (sequencing reads its dead-letter topics back).');
  }
  if (options.inbox === undefined) throw configurationError('Option `inbox` is required: pass an Inbox, e.g. store.inbox.');
  const name = nameOption(options.name, 'name');
  const sequence = sequencer({
    transport,
    inbox: options.inbox,
    consumer: name,
    deadLetterTopic: options.deadLetter?.topic ?? ((topic) => `${topic}.dlq`),
    now: options.now ?? (() => new Date()),
  });
  const sequenced: Transport = {
    publish: (topic, messages) => sequence.publish(topic, messages),
    subscribe: (subscribeOptions) =>
      transport.subscribe({
        ...subscribeOptions,
        handler: sequence.wrap(subscribeOptions.handler, subscribeOptions.topics),
        onAssignment: () => sequence.invalidate(),
      }),
    close: () => transport.close(),
  };
  const inner = consumer({ ...options, transport: sequenced });
  return {
    ...inner,
    stats: () => ({ ...inner.stats(), parked: sequence.parked }),
    blocked: () => sequence.blocked(),
    async release(key, messageId) {
      await options.inbox.runOnce(name, messageId, async () => undefined);
      sequence.forget(key, messageId);
    },
  };
}
