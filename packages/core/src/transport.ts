/** Message headers: string keys to string values. See `MessageHeaders` for the ones Eventfold sets. */
export type Headers = Record<string, string>;

/** A message to publish. */
export interface OutgoingMessage {
  /** Partitioning key. Eventfold uses the stream id, so one stream's events stay in order on one partition. */
  key: string | null;
  /** The payload: bytes as they are, anything else serialised as JSON. */
  value: Uint8Array | unknown;
  headers?: Headers;
}

/** A message delivered to a subscriber. */
export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  /** The message's offset in its partition, as a decimal string (Kafka offsets exceed 2^53). */
  readonly offset: string;
  readonly key: string | null;
  readonly value: Uint8Array;
  readonly headers: Readonly<Headers>;
  readonly timestamp: Date;
}

/** Options of {@link Transport.subscribe}. */
export interface SubscribeOptions {
  /** Consumer group: each message is delivered to one member of the group. */
  group: string;
  topics: readonly string[];
  /**
   * Handles a batch of messages from one partition, in offset order. Offsets are committed
   * only after it resolves; if it throws, the batch is delivered again.
   */
  handler: (batch: readonly IncomingMessage[]) => Promise<void>;
  /** Whether a group without committed offsets starts at the oldest message (`true`) or only gets new ones. @defaultValue `true` */
  fromBeginning?: boolean;
  /** Called when the handler throws, before redelivery. @defaultValue logs nothing */
  onError?: (error: unknown) => void;
}

/** Per-partition consumer lag of a subscription. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Messages in the partition not yet committed by the group. */
  readonly lag: number;
}

/** A running subscription. */
export interface Subscription {
  /** Stops after the batch in flight is handled and committed, and leaves the group. */
  close(): Promise<void>;
  /** Messages not yet committed, per assigned partition. */
  lag(): Promise<PartitionLag[]>;
}

/**
 * The transport port: publish messages to topics and consume them in groups, at least once.
 *
 * Contract (proven by `describeTransportConformance` from `@eventfold/core/testing`):
 * - `publish` resolves only once the messages are durably acknowledged, and keeps their order per key.
 * - Messages with the same key go to the same partition and are delivered in publish order.
 * - Offsets are committed only after the handler resolves: a failure or crash redelivers the uncommitted messages.
 * - Each message is delivered to one member of a group; different groups each get every message.
 */
export interface Transport {
  /** Publishes messages to a topic; resolves once the broker has durably acknowledged all of them. */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /** Joins a consumer group and delivers batches to the handler until the subscription is closed. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Stops every subscription and releases connections. */
  close(): Promise<void>;
}
