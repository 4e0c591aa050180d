/**
 * The parts of kafkajs this package calls, typed structurally so that our public types never
 * pin a kafkajs version: a kafkajs 2.x `Kafka` instance is assignable to {@link KafkaClient}
 * (a type test keeps that true), and so is any test double with these methods.
 */

/** Header values as kafkajs hands them over: a repeated header arrives as an array. */
export type KafkaHeaderValue = Uint8Array | string | readonly (Uint8Array | string)[] | undefined;

/** A message as kafkajs delivers it in a batch. */
export interface KafkaMessage {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string;
  readonly offset: string;
  readonly headers?: Readonly<Record<string, KafkaHeaderValue>>;
}

/** A batch of messages from one partition, as kafkajs passes it to `eachBatch`. */
export interface KafkaBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
  /** Offset of the last record of the fetched batch, control records included. */
  lastOffset(): string;
}

/** What kafkajs passes to `eachBatch`. */
export interface KafkaEachBatchPayload {
  readonly batch: KafkaBatch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  commitOffsetsIfNecessary(offsets?: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** A kafkajs instrumentation event; we read only its payload. */
export interface KafkaInstrumentationEvent<Payload> {
  readonly payload: Payload;
}

/** The consumer options this package sets. */
export interface KafkaConsumerConfig {
  groupId: string;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  maxWaitTimeInMs?: number;
  allowAutoTopicCreation?: boolean;
  retry?: KafkaRetryOptions;
}

/** kafkajs retry settings (see the kafkajs documentation on retry). */
export interface KafkaRetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
}

/** A kafkajs consumer: one member of a consumer group. */
export interface KafkaConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  run(config: {
    autoCommit?: boolean;
    eachBatchAutoResolve?: boolean;
    partitionsConsumedConcurrently?: number;
    eachBatch?: (payload: KafkaEachBatchPayload) => Promise<void>;
  }): Promise<void>;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  on(
    eventName: 'consumer.group_join',
    listener: (event: KafkaInstrumentationEvent<{ memberAssignment: Record<string, number[]> }>) => void,
  ): unknown;
  on(eventName: 'consumer.crash', listener: (event: KafkaInstrumentationEvent<{ error: Error; restart: boolean }>) => void): unknown;
}

/** A message as this package hands it to kafkajs. */
export interface KafkaOutgoingMessage {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** The producer options this package sets. */
export interface KafkaProducerConfig {
  idempotent?: boolean;
  maxInFlightRequests?: number;
  allowAutoTopicCreation?: boolean;
  createPartitioner?: () => (args: { topic: string; partitionMetadata: any[]; message: any }) => number;
}

/** A kafkajs producer. */
export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: KafkaOutgoingMessage[]; acks?: number; compression?: number }): Promise<unknown>;
}

/** A kafkajs admin client. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: {
    topics: { topic: string; numPartitions?: number; replicationFactor?: number; configEntries?: { name: string; value: string }[] }[];
    waitForLeaders?: boolean;
  }): Promise<boolean>;
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ topics: { name: string; partitions: { partitionId: number }[] }[] }>;
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]>;
  fetchOffsets(options: {
    groupId: string;
    topics: string[];
  }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  deleteGroups(groupIds: string[]): Promise<unknown>;
}

/** What this package needs of a kafkajs `Kafka` instance. */
export interface KafkaClient {
  producer(config?: KafkaProducerConfig): KafkaProducer;
  consumer(config: KafkaConsumerConfig): KafkaConsumer;
  admin(): KafkaAdmin;
}
