/**
 * A Kafka transport for Eventfold, on kafkajs: an idempotent producer with `acks: -1`, consumer
 * groups that commit only after the handler resolved, per-partition redelivery, lag per
 * partition, and topic administration. Pass the transport to `relay`, `consumer` and
 * `replayDeadLetters` from `@eventfold/core`.
 * @module
 */

export type {
  KafkaAdmin,
  KafkaBatch,
  KafkaClient,
  KafkaConsumer,
  KafkaConsumerConfig,
  KafkaEachBatchPayload,
  KafkaHeaderValue,
  KafkaInstrumentationEvent,
  KafkaMessage,
  KafkaOutgoingMessage,
  KafkaProducer,
  KafkaProducerConfig,
  KafkaRetryOptions,
} from './kafka-client.js';
export type { KafkaSubscribeOptions, KafkaSubscription } from './kafka-subscription.js';
export type {
  EnsureKafkaTopicsOptions,
  KafkaCompression,
  KafkaConsumerOptions,
  KafkaTopicSpec,
  KafkaTransport,
  KafkaTransportOptions,
} from './kafka-transport.js';
export { kafkaTransport } from './kafka-transport.js';
export type { SequencedConsumer, SequencedConsumerOptions, SequencedConsumerStats } from './sequenced-consumer.js';
export { sequencedConsumer } from './sequenced-consumer.js';
