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
  /** Marks an offset as handled locally: the next fetch of the partition starts after it. */
  resolveOffset(offset: string): void;
  /** Sends a heartbeat if one is due; rejects with a rebalance error when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** Commits the given offsets (the next offset to read, per partition) to the group coordinator. */
  commitOffsetsIfNecessary(offsets?: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True when a seek made the rest of this batch obsolete. */
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
  /** Connects to the cluster. */
  connect(): Promise<void>;
  /** Stops (finishing the batch in flight), leaves the group and disconnects. */
  disconnect(): Promise<void>;
  /** Sets the topics to consume, before `run`. */
  subscribe(subscription: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  /** Joins the group and starts fetching; resolves once joined. */
  run(config: {
    autoCommit?: boolean;
    eachBatchAutoResolve?: boolean;
    partitionsConsumedConcurrently?: number;
    eachBatch?: (payload: KafkaEachBatchPayload) => Promise<void>;
  }): Promise<void>;
  /** Stops fetching the given partitions (all of a topic's when `partitions` is absent). */
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  /** Fetches the given partitions again. */
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  /** Called with the partitions assigned to this member each time it joins the group. */
  on(
    eventName: 'consumer.group_join',
    listener: (event: KafkaInstrumentationEvent<{ memberAssignment: Record<string, number[]> }>) => void,
  ): unknown;
  /** Called when kafkajs stops the consumer on an error; `restart` tells whether kafkajs restarts it. */
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
  /** Picks a message's partition; this package passes kafkajs's `Partitioners.DefaultPartitioner`. */
  createPartitioner?: () => (args: { topic: string; partitionMetadata: any[]; message: any }) => number;
}

/** A kafkajs producer. */
export interface KafkaProducer {
  /** Connects to the cluster. */
  connect(): Promise<void>;
  /** Disconnects, after the sends in flight. */
  disconnect(): Promise<void>;
  /** Sends messages to one topic; resolves once acknowledged as `acks` asks. */
  send(record: { topic: string; messages: KafkaOutgoingMessage[]; acks?: number; compression?: number }): Promise<unknown>;
}

/** A kafkajs admin client. */
export interface KafkaAdmin {
  /** Connects to the cluster. */
  connect(): Promise<void>;
  /** Disconnects. */
  disconnect(): Promise<void>;
  /** Names of every topic in the cluster. */
  listTopics(): Promise<string[]>;
  /** Creates topics; resolves `false` when they all existed already. */
  createTopics(options: {
    topics: { topic: string; numPartitions?: number; replicationFactor?: number; configEntries?: { name: string; value: string }[] }[];
    waitForLeaders?: boolean;
  }): Promise<boolean>;
  /** Partitions of the given topics. */
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ topics: { name: string; partitions: { partitionId: number }[] }[] }>;
  /** The low and high watermark of each partition of a topic. */
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]>;
  /** The committed offsets of a group, per partition (`-1`: none). */
  fetchOffsets(options: {
    groupId: string;
    topics: string[];
  }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  /** Deletes consumer groups (they must have no members). */
  deleteGroups(groupIds: string[]): Promise<unknown>;
}

/** What this package needs of a kafkajs `Kafka` instance. */
export interface KafkaClient {
  /** A new producer. */
  producer(config?: KafkaProducerConfig): KafkaProducer;
  /** A new consumer: one member of the group `config.groupId`. */
  consumer(config: KafkaConsumerConfig): KafkaConsumer;
  /** A new admin client. */
  admin(): KafkaAdmin;
}
