import { ConfigurationError, ValidationError } from '../errors.js';
import { type GroupMember, type InMemoryGroup, type InMemoryTopic, inMemoryGroup } from '../internal/in-memory-group.js';
import { partitionForKey } from '../internal/murmur2.js';
import { integerOption, nameOption, numberOption, requireOption } from '../internal/options.js';
import type { Headers, IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription, Transport } from '../transport.js';

/** Options of {@link inMemoryTransport}. */
export interface InMemoryTransportOptions {
  /** Partitions of a topic created on first use. @defaultValue 3 */
  partitions?: number;
  /** Wait before a batch whose handler threw is delivered again. @defaultValue 100 */
  redeliveryDelayMs?: number;
  /** Most messages handed to a handler at once. @defaultValue 100 */
  maxBatchSize?: number;
  /** Clock for message timestamps. @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** Options of {@link InMemoryTransport.ensureTopic}. */
export interface EnsureTopicOptions {
  /** @defaultValue the transport's `partitions` option */
  partitions?: number;
}

/** An in-memory transport, with the escape hatches tests need. */
export interface InMemoryTransport extends Transport {
  /**
   * Creates a topic with a partition count, unless it exists with that count.
   * @throws {@link ConfigurationError} when it exists with another partition count.
   */
  ensureTopic(topic: string, options?: EnsureTopicOptions): void;
  /** Every message published to a topic so far, in publish order. For tests and debugging. */
  messages(topic: string): readonly IncomingMessage[];
}

const encoder = new TextEncoder();

/**
 * A transport held in memory, with the full `Transport` contract: partitions chosen by key
 * (the same murmur2 hash as Kafka's default partitioner; `null` keys round robin), consumer
 * groups that split partitions and rebalance as members come and go, and offsets committed
 * only after a handler resolves. Handlers always run asynchronously, never inside `publish`.
 *
 * Values are copied on publish (bytes as they are, anything else as UTF-8 JSON), so a caller
 * that later mutates an object cannot change a published message.
 *
 * @example
 * ```ts
 * const transport = inMemoryTransport({ partitions: 3 });
 * const subscription = await transport.subscribe({
 *   group: 'mailer',
 *   topics: ['user.created'],
 *   handler: async (batch) => { for (const message of batch) console.log(message.key); },
 * });
 * await transport.publish('user.created', [{ key: 'user-1', value: { hello: 'world' } }]);
 * ```
 */
export function inMemoryTransport(options: InMemoryTransportOptions = {}): InMemoryTransport {
  const defaultPartitions = integerOption(options.partitions, 'partitions', 3, 1);
  const redeliveryDelayMs = numberOption(options.redeliveryDelayMs, 'redeliveryDelayMs', 100, 0);
  const maxBatchSize = integerOption(options.maxBatchSize, 'maxBatchSize', 100, 1);
  const now = options.now ?? (() => new Date());
  const topics = new Map<string, InMemoryTopic & { published: IncomingMessage[]; nextRoundRobin: number }>();
  const groups = new Map<string, InMemoryGroup>();
  const subscriptions = new Set<Subscription>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new ConfigurationError('[@eventfold/core] The in-memory transport was used after close().');
  }

  function topicOf(name: string, partitions = defaultPartitions) {
    assertTopicName(name);
    let topic = topics.get(name);
    if (topic === undefined) {
      topic = { name, partitions: Array.from({ length: partitions }, () => []), published: [], nextRoundRobin: 0 };
      topics.set(name, topic);
    }
    return topic;
  }

  function groupOf(name: string): InMemoryGroup {
    let group = groups.get(name);
    if (group === undefined) {
      group = inMemoryGroup({ maxBatchSize, redeliveryDelayMs, topic: (topicName) => topicOf(topicName), timers });
      groups.set(name, group);
    }
    return group;
  }

  async function publish(topicName: string, messages: readonly OutgoingMessage[]): Promise<void> {
    assertOpen();
    assertTopicName(topicName);
    if (!Array.isArray(messages)) {
      throw new ValidationError('Invalid publish', [{ message: 'messages must be an array', path: ['messages'] }]);
    }
    // Copy and check every message before storing any, so a bad message rejects the whole publish.
    const copies = messages.map((message, index) => copyMessage(message, index));
    const topic = topicOf(topicName);
    const timestamp = now();
    for (const { key, value, headers } of copies) {
      const partition = key === null ? topic.nextRoundRobin++ % topic.partitions.length : partitionForKey(key, topic.partitions.length);
      const log = topic.partitions[partition] as IncomingMessage[];
      const stored: IncomingMessage = Object.freeze({
        topic: topicName,
        partition,
        offset: String(log.length),
        key,
        value,
        headers,
        timestamp: new Date(timestamp.getTime()),
      });
      log.push(stored);
      topic.published.push(stored);
    }
    if (copies.length > 0) for (const group of groups.values()) group.schedule();
  }

  async function subscribe(subscribeOptions: SubscribeOptions): Promise<Subscription> {
    assertOpen();
    const groupName = nameOption(subscribeOptions?.group, 'group');
    const topicNames = requireOption(subscribeOptions.topics, 'topics', 'pass the topics to consume');
    if (!Array.isArray(topicNames) || topicNames.length === 0) {
      throw new ConfigurationError('[@eventfold/core] Option `topics` must be a non-empty array of topic names.');
    }
    for (const name of topicNames) assertTopicName(name);
    if (typeof subscribeOptions.handler !== 'function') {
      throw new ConfigurationError('[@eventfold/core] Option `handler` is required: pass an async function that handles a batch.');
    }
    const member: GroupMember = {
      topics: new Set(topicNames),
      handler: subscribeOptions.handler,
      onError: subscribeOptions.onError,
      fromBeginning: subscribeOptions.fromBeginning ?? true,
    };
    const group = groupOf(groupName);
    group.join(member);
    let closing: Promise<void> | undefined;
    const subscription: Subscription = {
      close() {
        closing ??= group.leave(member).finally(() => subscriptions.delete(subscription));
        return closing;
      },
      async lag() {
        return closing === undefined ? group.lag(member) : [];
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  return {
    publish,
    subscribe,
    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
    ensureTopic(name, topicOptions = {}) {
      assertOpen();
      const partitions = integerOption(topicOptions.partitions, 'partitions', defaultPartitions, 1);
      const existing = topics.get(name);
      if (existing !== undefined && existing.partitions.length !== partitions) {
        throw new ConfigurationError(
          `[@eventfold/core] Topic "${name}" already exists with ${existing.partitions.length} partitions, not ${partitions}.`,
        );
      }
      topicOf(name, partitions);
    },
    messages(name) {
      return (topics.get(name)?.published ?? []).map((message) => Object.freeze({ ...message, value: new Uint8Array(message.value) }));
    },
  };
}

function assertTopicName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ValidationError('Invalid topic', [
      { message: `topic must be a non-empty string, got ${JSON.stringify(name)}`, path: ['topic'] },
    ]);
  }
}

function copyMessage(message: OutgoingMessage, index: number): { key: string | null; value: Uint8Array; headers: Readonly<Headers> } {
  const key = message?.key;
  if (key !== null && typeof key !== 'string') {
    throw new ValidationError('Invalid message', [{ message: 'key must be a string or null', path: ['messages', index, 'key'] }]);
  }
  const headers: Headers = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (typeof value !== 'string') {
      throw new ValidationError('Invalid message', [
        { message: 'header values must be strings', path: ['messages', index, 'headers', name] },
      ]);
    }
    headers[name] = value;
  }
  return { key, value: serialise(message.value, index), headers: Object.freeze(headers) };
}

function serialise(value: unknown, index: number): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError(
      'Invalid message',
      [{ message: `value is not JSON-serialisable: ${(error as Error).message}`, path: ['messages', index, 'value'] }],
      {
        cause: error,
      },
    );
  }
  if (text === undefined) {
    throw new ValidationError('Invalid message', [{ message: `${typeof value} has no JSON form`, path: ['messages', index, 'value'] }]);
  }
  return encoder.encode(text);
}
