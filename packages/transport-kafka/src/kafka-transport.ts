import type { IncomingMessage, OutgoingMessage, Transport } from '@eventfold/core';
import { Kafka, Partitioners } from 'kafkajs';
import { classifyKafkaError } from './internal/classify-error.js';
import { type ConsumerSettings, startGroupMember } from './internal/group-member.js';
import { toKafkaMessages } from './internal/messages.js';
import { assertTopicName, configurationError, integerOption, nameOption, topicsOption } from './internal/options.js';
import { readTopic } from './internal/read-topic.js';
import { type TopicAdmin, type TopicSpec, topicAdmin } from './internal/topic-admin.js';
import type { KafkaClient, KafkaProducer, KafkaRetryOptions } from './kafka-client.js';
import type { KafkaSubscribeOptions, KafkaSubscription } from './kafka-subscription.js';

export type { TopicSpec as KafkaTopicSpec } from './internal/topic-admin.js';

/** Compression of produced batches. kafkajs has gzip built in; the others need a codec registered in kafkajs's `CompressionCodecs`. */
export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Consumer tuning. The defaults are kafkajs's, except where noted. */
export interface KafkaConsumerOptions {
  /** The broker drops a member it has not heard from for this long. @defaultValue 30_000 */
  sessionTimeout?: number;
  /** How long the group waits for members to rejoin during a rebalance. @defaultValue 60_000 */
  rebalanceTimeout?: number;
  /** @defaultValue 3_000 */
  heartbeatInterval?: number;
  /** Longest wait of a fetch for new messages; also how soon an idle member notices a rebalance. @defaultValue 1_000 (kafkajs: 5_000) */
  maxWaitTimeInMs?: number;
  /** @defaultValue 1_048_576 */
  maxBytesPerPartition?: number;
  /** Partitions whose batches are handled at the same time, by one subscription. @defaultValue 1 */
  partitionsConsumedConcurrently?: number;
  /** Most messages handed to the handler at once. @defaultValue 100 */
  maxBatchSize?: number;
  /**
   * Handled offsets are committed at the end of each fetched batch, before a partition is given up
   * or the subscription closes, and in between whenever this long has passed since the last commit.
   * It bounds what a crash makes the group deliver again (about this long of handled work, plus
   * the chunk in flight); 0 commits after every chunk.
   * @defaultValue 1_000
   */
  commitIntervalMs?: number;
  /** How long a partition whose handler threw waits before the batch is delivered again. @defaultValue 1_000 */
  redeliveryDelayMs?: number;
  /** kafkajs retries of the consumer's own requests. @defaultValue kafkajs's (5 retries, from 300 ms) */
  retry?: KafkaRetryOptions;
}

/** Options of {@link kafkaTransport}. */
export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port`. Required unless `kafka` is given. */
  brokers?: readonly string[];
  /** The client id brokers see in their logs and quotas. @defaultValue `'eventfold'` */
  clientId?: string;
  /** An existing kafkajs `Kafka` instance (for SSL, SASL, custom logging…); `brokers` and `clientId` are then ignored. */
  kafka?: KafkaClient;
  /** kafkajs retries of connections and requests, for a client this transport creates. @defaultValue kafkajs's */
  retry?: KafkaRetryOptions;
  /** kafkajs log level, for a client this transport creates. @defaultValue `'warn'` */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /** @defaultValue `'none'` */
  compression?: KafkaCompression;
  /**
   * Create a topic on its first publish or subscribe when it does not exist: with
   * `topicDefaults`, or, for a dead-letter topic `<topic>.dlq`, with as many partitions as `<topic>`.
   * When `false`, using a missing topic throws a `ConfigurationError`.
   * @defaultValue true
   */
  autoCreateTopics?: boolean;
  /** Settings of topics this transport creates. @defaultValue `{ partitions: 3, replicationFactor: -1 }` (-1: the broker's default) */
  topicDefaults?: { partitions?: number; replicationFactor?: number };
  consumer?: KafkaConsumerOptions;
}

/** Options of {@link KafkaTransport.ensureTopics}. */
export interface EnsureKafkaTopicsOptions {
  /** Also ensure each topic's dead-letter topic, `<topic>.dlq`, with the same settings. @defaultValue false */
  deadLetters?: boolean;
}

/** The Kafka transport: the `Transport` port, topic administration and the raw client. */
export interface KafkaTransport extends Transport {
  subscribe(options: KafkaSubscribeOptions): Promise<KafkaSubscription>;
  /**
   * Creates the topics that do not exist yet; for those that do, checks the partition count
   * when one is given. Never adds partitions: that would move keys and break per-stream order.
   * @throws `ConfigurationError` when a topic exists with another partition count.
   */
  ensureTopics(topics: readonly TopicSpec[], options?: EnsureKafkaTopicsOptions): Promise<void>;
  /**
   * Every message of a topic, up to its end at the time of the call, in partition and offset
   * order; `[]` for a missing topic. Reads through a throw-away consumer group, so it is slow to
   * start (a group join) and holds everything in memory: meant for small topics such as
   * dead-letter topics, for tools and tests.
   */
  readTopic(topic: string): Promise<IncomingMessage[]>;
  /** The kafkajs client underneath (the escape hatch): the one passed as `kafka`, or the one created from `brokers`. */
  readonly client: KafkaClient;
}

const LOG_LEVELS = { nothing: 0, error: 1, warn: 2, info: 4, debug: 5 } as const;
// Kafka's record-batch compression codes, which kafkajs's CompressionTypes mirrors.
const COMPRESSION = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * A `Transport` on Kafka through kafkajs. Publishing uses one idempotent producer with
 * `acks: -1` (all in-sync replicas), one `send` per `publish`, and kafkajs's default partitioner
 * (murmur2, as Java's), so a key lands on the same partition as with other Kafka clients and
 * with the in-memory transport. Each subscription is one member of its consumer group; it
 * commits offsets only after the handler resolved for them, redelivers a failed chunk after
 * `redeliveryDelayMs` without holding up other partitions, and commits before giving up
 * partitions in a rebalance.
 *
 * Connects lazily: nothing talks to a broker before the first publish, subscribe or `ensureTopics`.
 *
 * @example
 * ```ts
 * const transport = kafkaTransport({ brokers: ['localhost:9092'], clientId: 'user-service' });
 * await transport.ensureTopics([{ topic: 'user.created', partitions: 3 }], { deadLetters: true });
 * const outbox = relay({ store, transport, routes: { user: 'user.created' } });
 * outbox.start();
 * ```
 * @throws `ConfigurationError` for missing or invalid options.
 */
export function kafkaTransport(options: KafkaTransportOptions): KafkaTransport {
  const client = clientOf(options);
  const compression = compressionOf(options?.compression);
  const consumerOptions = options.consumer ?? {};
  const settings: ConsumerSettings = {
    sessionTimeout: integerOption(consumerOptions.sessionTimeout, 'consumer.sessionTimeout', 30_000, 1),
    rebalanceTimeout: integerOption(consumerOptions.rebalanceTimeout, 'consumer.rebalanceTimeout', 60_000, 1),
    heartbeatInterval: integerOption(consumerOptions.heartbeatInterval, 'consumer.heartbeatInterval', 3_000, 1),
    maxWaitTimeInMs: integerOption(consumerOptions.maxWaitTimeInMs, 'consumer.maxWaitTimeInMs', 1_000, 0),
    maxBytesPerPartition: integerOption(consumerOptions.maxBytesPerPartition, 'consumer.maxBytesPerPartition', 1_048_576, 1),
    partitionsConsumedConcurrently: integerOption(
      consumerOptions.partitionsConsumedConcurrently,
      'consumer.partitionsConsumedConcurrently',
      1,
      1,
    ),
    maxBatchSize: integerOption(consumerOptions.maxBatchSize, 'consumer.maxBatchSize', 100, 1),
    commitIntervalMs: integerOption(consumerOptions.commitIntervalMs, 'consumer.commitIntervalMs', 1_000, 0),
    redeliveryDelayMs: integerOption(consumerOptions.redeliveryDelayMs, 'consumer.redeliveryDelayMs', 1_000, 0),
    retry: consumerOptions.retry,
  };
  if (settings.heartbeatInterval >= settings.sessionTimeout) {
    throw configurationError(
      `Option \`consumer.heartbeatInterval\` (${settings.heartbeatInterval}) must be below \`consumer.sessionTimeout\` (${settings.sessionTimeout}); about a third of it is usual.`,
    );
  }
  const replicationFactor = integerOption(options.topicDefaults?.replicationFactor, 'topicDefaults.replicationFactor', -1, -1);
  if (replicationFactor === 0) throw configurationError('Option `topicDefaults.replicationFactor` must be -1 (broker default) or >= 1.');
  const topics: TopicAdmin = topicAdmin(client, {
    partitions: integerOption(options.topicDefaults?.partitions, 'topicDefaults.partitions', 3, 1),
    replicationFactor,
    autoCreate: options.autoCreateTopics ?? true,
    deadLetterSuffix: DEAD_LETTER_SUFFIX,
  });

  const subscriptions = new Set<KafkaSubscription>();
  let producer: Promise<KafkaProducer> | undefined;
  let closed = false;

  function assertOpen(): void {
    if (closed) throw configurationError('The Kafka transport was used after close().');
  }

  function connectedProducer(): Promise<KafkaProducer> {
    if (producer === undefined) {
      const created = client.producer({
        idempotent: true,
        // kafkajs keeps per-partition sequence numbers only correct with one request in flight.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      const attempt = created.connect().then(() => created);
      producer = attempt;
      attempt.catch(() => {
        if (producer === attempt) producer = undefined;
      });
    }
    return producer;
  }

  return {
    client,

    async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
      assertOpen();
      assertTopicName(topic);
      const kafkaMessages = toKafkaMessages(messages);
      if (kafkaMessages.length === 0) return;
      await topics.ensureExists(topic);
      try {
        const connected = await connectedProducer();
        await connected.send({ topic, messages: kafkaMessages, acks: -1, compression });
      } catch (error) {
        throw classifyKafkaError(error, { operation: 'publish', topic });
      }
    },

    async subscribe(subscribeOptions: KafkaSubscribeOptions): Promise<KafkaSubscription> {
      assertOpen();
      const group = nameOption(subscribeOptions?.group, 'group');
      const topicNames = topicsOption(subscribeOptions.topics, 'pass the topics to consume');
      if (typeof subscribeOptions.handler !== 'function') {
        throw configurationError('Option `handler` is required: pass an async function that handles a batch.');
      }
      const member = await startGroupMember({ client, topicAdmin: topics, settings }, { ...subscribeOptions, group, topics: topicNames });
      const subscription: KafkaSubscription = {
        close: () => member.close().finally(() => subscriptions.delete(subscription)),
        lag: () => member.lag(),
        pause: () => member.pause(),
        resume: () => member.resume(),
        get paused() {
          return member.paused;
        },
      };
      subscriptions.add(subscription);
      // close() ran while this member was joining: it missed the list, so close it here.
      if (closed) await subscription.close();
      return subscription;
    },

    async ensureTopics(specs, ensureOptions = {}) {
      assertOpen();
      const all = ensureOptions.deadLetters
        ? (specs ?? []).flatMap((spec) => [spec, { ...spec, topic: `${spec?.topic}${DEAD_LETTER_SUFFIX}` }])
        : specs;
      await topics.ensureTopics(all);
    },

    async readTopic(topic: string): Promise<IncomingMessage[]> {
      assertOpen();
      assertTopicName(topic);
      return readTopic(client, topics, topic, settings.maxWaitTimeInMs);
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...subscriptions].map((subscription) => subscription.close()));
      const current = producer;
      producer = undefined;
      await Promise.allSettled([current?.then((connected) => connected.disconnect()), topics.close()]);
    },
  };
}

function clientOf(options: KafkaTransportOptions): KafkaClient {
  if (options === null || typeof options !== 'object') {
    throw configurationError('Options are required: pass { brokers, clientId }, or { kafka } with a kafkajs Kafka instance.');
  }
  if (options.kafka !== undefined) {
    const kafka = options.kafka as Partial<KafkaClient> | null;
    if (
      kafka === null ||
      typeof kafka.producer !== 'function' ||
      typeof kafka.consumer !== 'function' ||
      typeof kafka.admin !== 'function'
    ) {
      throw configurationError('Option `kafka` must be a kafkajs Kafka instance (with producer(), consumer() and admin()).');
    }
    return options.kafka;
  }
  const brokers = options.brokers;
  if (!Array.isArray(brokers) || brokers.length === 0 || brokers.some((broker) => typeof broker !== 'string' || broker.length === 0)) {
    throw configurationError('Option `brokers` is required: pass the bootstrap brokers, e.g. ["localhost:9092"], or pass `kafka`.');
  }
  const logLevel = options.logLevel ?? 'warn';
  if (!(logLevel in LOG_LEVELS)) {
    throw configurationError(`Option \`logLevel\` must be one of ${Object.keys(LOG_LEVELS).join(', ')}, got ${JSON.stringify(logLevel)}.`);
  }
  return new Kafka({
    brokers: [...brokers],
    clientId: nameOption(options.clientId, 'clientId', 'eventfold'),
    logLevel: LOG_LEVELS[logLevel],
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
}

function compressionOf(compression: KafkaCompression | undefined): number {
  const name = compression ?? 'none';
  if (!(name in COMPRESSION)) {
    throw configurationError(
      `Option \`compression\` must be one of ${Object.keys(COMPRESSION).join(', ')}, got ${JSON.stringify(compression)}.`,
    );
  }
  return COMPRESSION[name];
}
