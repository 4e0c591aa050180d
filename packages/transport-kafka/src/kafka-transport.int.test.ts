import { createRequire } from 'node:module';
import { type IncomingMessage, inMemoryTransport, isConfigurationError, isValidationError } from '@eventfold/core';
import type { KafkaClient, KafkaTransport } from '@eventfold/transport-kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { freshName, requireKafkaBrokers, setupOrFailEach, testTransport, topicJanitor } from '../test/support.js';

// Behaviour beyond the conformance suite, against the real broker: topic administration,
// per-partition redelivery, commit failures thrown into kafkajs, rebalances with a batch in
// flight, long handlers, pause/resume and lag.

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error };
const { KafkaJSNonRetriableError } = require('kafkajs') as { KafkaJSNonRetriableError: new (message: string) => Error };
const REQUEST_TIMED_OUT = 7;
const REBALANCE_IN_PROGRESS = 27;

const janitor = topicJanitor();
const transports: KafkaTransport[] = [];
let brokers: string[] = [];

setupOrFailEach(async () => {
  brokers = await requireKafkaBrokers();
});
afterEach(async () => {
  await Promise.allSettled(transports.splice(0).map((transport) => transport.close()));
}, 60_000);
afterAll(() => janitor.cleanup(), 60_000);

async function transportFor(overrides: Parameters<typeof testTransport>[0] = {}): Promise<KafkaTransport> {
  const transport = await testTransport(overrides);
  transports.push(transport);
  return transport;
}

async function topicWith(transport: KafkaTransport, label: string, partitions = 3): Promise<string> {
  const topic = freshName(label);
  janitor.track(topic, `${topic}.dlq`);
  await transport.ensureTopics([{ topic, partitions }]);
  return topic;
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const textOf = (message: IncomingMessage) => new TextDecoder().decode(message.value);
const keyed = (count: number, keys: number, prefix = 'm') =>
  Array.from({ length: count }, (_, index) => ({ key: `k${index % keys}`, value: `${prefix}-${index}` }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The partition kafkajs's default partitioner picks for a key. */
function keyPartitioner(partitions: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return (key) => partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

async function partitionsOf(topic: string): Promise<number> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

describe('topics', () => {
  it('ensureTopics creates topics (and their dead-letter topics) with the partition count, is idempotent, and refuses another count', async () => {
    const transport = await transportFor();
    const topic = freshName('ensure');
    janitor.track(topic, `${topic}.dlq`);
    await transport.ensureTopics([{ topic, partitions: 4, config: { 'retention.ms': '3600000' } }], { deadLetters: true });
    expect(await partitionsOf(topic)).toBe(4);
    expect(await partitionsOf(`${topic}.dlq`)).toBe(4);
    await transport.ensureTopics([{ topic, partitions: 4 }]);
    await transport.ensureTopics([{ topic }]);

    const refused = await transport.ensureTopics([{ topic, partitions: 3 }]).catch((error: unknown) => error);
    expect(isConfigurationError(refused)).toBe(true);
    expect(String((refused as Error).message)).toContain('exists with 4 partitions, not 3');
  });

  it('creates a missing topic on first use with topicDefaults, and a dead-letter topic with its source partitions', async () => {
    const transport = await transportFor({ topicDefaults: { partitions: 2 } });
    const plain = freshName('auto');
    const source = await topicWith(transport, 'auto-source', 5);
    janitor.track(plain);
    await transport.publish(plain, [{ key: 'k', value: 1 }]);
    await transport.publish(`${source}.dlq`, [{ key: 'k', value: 1 }]);
    expect(await partitionsOf(plain)).toBe(2);
    expect(await partitionsOf(`${source}.dlq`)).toBe(5);
  });

  it('with autoCreateTopics off, publishing or subscribing to a missing topic is a ConfigurationError', async () => {
    const transport = await transportFor({ autoCreateTopics: false });
    const missing = freshName('missing');
    const published = await transport.publish(missing, [{ key: 'k', value: 1 }]).catch((error: unknown) => error);
    expect(isConfigurationError(published)).toBe(true);
    expect(String((published as Error).message)).toMatch(/^\[@eventfold\/transport-kafka\] Topic ".*" does not exist/);
    const subscribed = await transport
      .subscribe({ group: freshName('group'), topics: [missing], handler: async () => undefined })
      .catch((error: unknown) => error);
    expect(isConfigurationError(subscribed)).toBe(true);
    expect(await partitionsOf(missing).catch(() => 0)).toBe(0);
  });
});

describe('readTopic', () => {
  it('reads a topic to its end in partition and offset order, all of it again on every call, and a missing topic as []', async () => {
    const transport = await transportFor();
    const topic = await topicWith(transport, 'read');
    const sent = keyed(30, 7);
    await transport.publish(topic, sent);
    const read = await transport.readTopic(topic);
    expect(read).toHaveLength(30);
    expect(read.map((message) => [message.partition, Number(message.offset)])).toEqual(
      [...read]
        .map((message) => [message.partition, Number(message.offset)])
        .sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number)),
    );
    expect(new Set(read.map(textOf))).toEqual(new Set(sent.map((message) => JSON.stringify(message.value))));
    expect(await transport.readTopic(topic)).toHaveLength(30);
    expect(await transport.readTopic(freshName('never-created'))).toEqual([]);
  });
});

describe('publish', () => {
  it('rejects a publish with one bad message as a whole, before sending anything', async () => {
    const transport = await transportFor();
    const topic = await topicWith(transport, 'reject');
    const rejected = await transport
      .publish(topic, [
        { key: 'k', value: 'fine' },
        { key: 'k', value: 'bad', headers: { n: 1 as unknown as string } },
      ])
      .catch((error: unknown) => error);
    expect(isValidationError(rejected)).toBe(true);
    const received: IncomingMessage[] = [];
    const subscription = await transport.subscribe({
      group: freshName('group'),
      topics: [topic],
      handler: async (batch) => void received.push(...batch),
    });
    await transport.publish(topic, [{ key: 'k', value: 'marker' }]);
    await eventually('the marker arrives', () => received.length > 0);
    expect(received.map(textOf)).toEqual(['"marker"']);
    await subscription.close();
  });

  it('puts every key on the partition the in-memory transport picks (murmur2, as Java clients do)', async () => {
    const transport = await transportFor();
    const topic = await topicWith(transport, 'partitioner');
    const messages = Array.from({ length: 60 }, (_, index) => ({ key: `user-${index}`, value: index }));
    await transport.publish(topic, messages);
    const memory = inMemoryTransport({ partitions: 3 });
    await memory.publish(topic, messages);
    const expected = new Map(memory.messages(topic).map((message) => [message.key, message.partition]));
    await memory.close();
    const received = new Map<string | null, number>();
    const subscription = await transport.subscribe({
      group: freshName('group'),
      topics: [topic],
      handler: async (batch) => {
        for (const message of batch) received.set(message.key, message.partition);
      },
    });
    await eventually('all 60 arrive', () => received.size === 60);
    expect(received).toEqual(expected);
    await subscription.close();
  });
});

describe('redelivery', () => {
  it('holds back only the failing partition: the others keep flowing, and the failed batch comes back from the failed message', async () => {
    const transport = await transportFor({ consumer: { redeliveryDelayMs: 200, partitionsConsumedConcurrently: 3 } });
    const topic = await topicWith(transport, 'isolate');
    let broken = true;
    const seen: string[] = [];
    const errors: unknown[] = [];
    const subscription = await transport.subscribe({
      group: freshName('group'),
      topics: [topic],
      handler: async (batch) => {
        for (const message of batch) {
          if (broken && textOf(message) === '"poison"') throw new Error('poison on purpose');
          seen.push(`${message.key}:${textOf(message)}`);
        }
      },
      onError: (error) => errors.push(error),
    });
    await transport.publish(topic, [
      { key: 'bad', value: 'before' },
      { key: 'bad', value: 'poison' },
      { key: 'bad', value: 'after' },
    ]);
    const partitionOf = keyPartitioner(3);
    const others = Array.from({ length: 30 }, (_, index) => ({ key: `good-${index}`, value: index }));
    await transport.publish(topic, others);
    const elsewhere = others.filter((message) => partitionOf(message.key) !== partitionOf('bad'));
    expect(elsewhere.length).toBeGreaterThan(10);
    await eventually('every message on the other partitions arrives while "bad" keeps failing', () =>
      elsewhere.every((message) => seen.includes(`${message.key}:${message.value}`)),
    );
    expect(seen.some((entry) => entry.startsWith('good-') && partitionOf(entry.split(':')[0] as string) === partitionOf('bad'))).toBe(
      false,
    );
    await eventually('the poison batch was delivered again (and failed again)', () => errors.length >= 2);
    expect(seen.filter((entry) => entry.startsWith('bad:'))).toEqual(
      Array.from({ length: seen.filter((entry) => entry.startsWith('bad:')).length }, () => 'bad:"before"'),
    );
    broken = false;
    await eventually('the failed batch is delivered again', () => seen.includes('bad:"after"'));
    const bad = seen.filter((entry) => entry.startsWith('bad:'));
    expect(bad.slice(bad.lastIndexOf('bad:"before"'))).toEqual(['bad:"before"', 'bad:"poison"', 'bad:"after"']);
    await eventually('lag is 0', async () => (await subscription.lag()).every((partition) => partition.lag === 0));
    await subscription.close();
  });

  it('loses and skips nothing when a commit fails and the error goes to kafkajs (retry, or rejoin on a rebalance error)', async () => {
    const base = new Kafka({ brokers, clientId: 'eventfold-test', logLevel: logLevel.NOTHING });
    const injected = [createErrorFromCode(REQUEST_TIMED_OUT), createErrorFromCode(REBALANCE_IN_PROGRESS)];
    let failedCommits = 0;
    // The real client, with commits that fail twice: what kafkajs sees when the coordinator times out, then rebalances.
    const client: KafkaClient = {
      producer: (config) => base.producer(config),
      admin: () => base.admin(),
      consumer(config) {
        const consumer = base.consumer(config);
        const run = consumer.run.bind(consumer);
        return Object.assign(consumer, {
          run: (runConfig: Parameters<typeof consumer.run>[0] = {}) =>
            run({
              ...runConfig,
              eachBatch: async (payload) =>
                runConfig.eachBatch?.({
                  ...payload,
                  commitOffsetsIfNecessary: async (offsets) => {
                    const failure = injected.shift();
                    if (failure !== undefined) {
                      failedCommits++;
                      throw failure;
                    }
                    await payload.commitOffsetsIfNecessary(offsets);
                  },
                }),
            }),
        });
      },
    };
    // A commit after every chunk of 4, so each failed commit covers exactly one chunk.
    const transport = await transportFor({ kafka: client, consumer: { maxBatchSize: 4, commitIntervalMs: 0 } });
    const topic = await topicWith(transport, 'commit-fails', 1);
    const sent = keyed(20, 1);
    await transport.publish(topic, sent);
    const deliveries: string[] = [];
    const errors: unknown[] = [];
    const subscription = await transport.subscribe({
      group: freshName('group'),
      topics: [topic],
      handler: async (batch) => void deliveries.push(...batch.map((message) => JSON.parse(textOf(message)) as string)),
      onError: (error) => errors.push(error),
    });
    await eventually('every message was delivered and the group committed the end', async () => {
      const lag = await subscription.lag();
      return lag.length === 1 && lag[0]?.lag === 0 && sent.every((message) => deliveries.includes(message.value));
    });
    expect(failedCommits).toBe(2);
    expect(errors).toHaveLength(2);
    // In order, with only the chunks whose commit failed delivered again, each from its start.
    const firstTimes = deliveries.filter((value, index) => deliveries.indexOf(value) === index);
    expect(firstTimes).toEqual(sent.map((message) => message.value));
    expect(deliveries.length).toBe(20 + 2 * 4);
    await subscription.close();
  });
  it('restarts a consumer that kafkajs gave up on (a non-retriable error), and delivers what was not committed', async () => {
    const base = new Kafka({ brokers, clientId: 'eventfold-test', logLevel: logLevel.NOTHING });
    let failures = 1;
    // The real client, with one commit failing with an error kafkajs does not retry: it crashes the consumer and does not restart it.
    const client: KafkaClient = {
      producer: (config) => base.producer(config),
      admin: () => base.admin(),
      consumer(config) {
        const consumer = base.consumer(config);
        const run = consumer.run.bind(consumer);
        return Object.assign(consumer, {
          run: (runConfig: Parameters<typeof consumer.run>[0] = {}) =>
            run({
              ...runConfig,
              eachBatch: async (payload) =>
                runConfig.eachBatch?.({
                  ...payload,
                  commitOffsetsIfNecessary: async (offsets) => {
                    if (failures-- > 0) throw new KafkaJSNonRetriableError('injected: a failure kafkajs does not retry');
                    await payload.commitOffsetsIfNecessary(offsets);
                  },
                }),
            }),
        });
      },
    };
    const transport = await transportFor({ kafka: client });
    const topic = await topicWith(transport, 'crash', 1);
    const sent = keyed(10, 1);
    await transport.publish(topic, sent);
    const deliveries: string[] = [];
    const errors: unknown[] = [];
    const subscription = await transport.subscribe({
      group: freshName('group'),
      topics: [topic],
      handler: async (batch) => void deliveries.push(...batch.map((message) => JSON.parse(textOf(message)) as string)),
      onError: (error) => errors.push(error),
    });
    await eventually('the restarted consumer delivered and committed everything', async () => {
      const lag = await subscription.lag();
      return lag.length === 1 && lag[0]?.lag === 0 && deliveries.length >= 20;
    });
    expect(deliveries).toEqual([...sent, ...sent].map((message) => message.value));
    const messages = errors.map((error) => (error as Error).message);
    // Reported twice: the failed commit, then kafkajs's crash without restart, after which the transport restarted it.
    expect(messages.filter((message) => message.includes('injected')).map((message) => message.split(':')[0])).toEqual([
      `[@eventfold/transport-kafka] Kafka is unavailable for commit (topic "${topic}")`,
      '[@eventfold/transport-kafka] Kafka is unavailable for consume',
    ]);
    await subscription.close();
  });
});

describe('groups', () => {
  it('commits the batch in flight before giving up partitions in a rebalance: the new owner gets none of it again', async () => {
    const transport = await transportFor({ consumer: { maxBatchSize: 5 } });
    const topic = await topicWith(transport, 'rebalance');
    const group = freshName('group');
    await transport.publish(topic, keyed(90, 9));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const completedBy = new Map<string, string[]>();
    const deliveredTo = new Map<string, string[]>();
    const handlerOf =
      (member: string, wait: () => Promise<void>) =>
      async (batch: readonly IncomingMessage[]): Promise<void> => {
        const values = batch.map(textOf);
        deliveredTo.set(member, [...(deliveredTo.get(member) ?? []), ...values]);
        await wait();
        completedBy.set(member, [...(completedBy.get(member) ?? []), ...values]);
      };
    const a = await transport.subscribe({ group, topics: [topic], handler: handlerOf('a', () => gate) });
    onTestFinished(() => release());
    await eventually('a has a chunk in hand', () => (deliveredTo.get('a')?.length ?? 0) > 0);
    const joining = transport.subscribe({ group, topics: [topic], handler: handlerOf('b', async () => undefined) });
    await sleep(1_500); // b's join is waiting for a to rejoin; a's heartbeat has seen the rebalance
    release();
    const b = await joining;
    await eventually('all 90 are handled', () => new Set([...(completedBy.get('a') ?? []), ...(completedBy.get('b') ?? [])]).size === 90);
    const handledByA = new Set(completedBy.get('a'));
    expect((deliveredTo.get('b') ?? []).filter((value) => handledByA.has(value))).toEqual([]);
    expect(handledByA.size).toBeLessThan(90);
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps its partitions through a handler that runs longer than the session timeout (heartbeats continue)', async () => {
    const transport = await transportFor({ consumer: { sessionTimeout: 6_000, heartbeatInterval: 500 } });
    const topic = await topicWith(transport, 'slow', 1);
    await transport.publish(topic, keyed(3, 1));
    const deliveries: string[] = [];
    const subscription = await transport.subscribe({
      group: freshName('group'),
      topics: [topic],
      handler: async (batch) => {
        deliveries.push(...batch.map(textOf));
        await sleep(8_000);
      },
    });
    await eventually(
      'the slow batch is committed',
      async () => (await subscription.lag()).every((p) => p.lag === 0) && deliveries.length > 0,
      30_000,
    );
    await sleep(1_000);
    expect(deliveries).toEqual(['"m-0"', '"m-1"', '"m-2"']);
    await subscription.close();
  }, 60_000);
});

describe('flow control and lag', () => {
  it('pause() stops fetching without leaving the group; resume() picks up where it stopped', async () => {
    const transport = await transportFor();
    const topic = await topicWith(transport, 'pause');
    const received: string[] = [];
    const subscription = await transport.subscribe({
      group: freshName('group'),
      topics: [topic],
      handler: async (batch) => void received.push(...batch.map(textOf)),
    });
    await transport.publish(topic, keyed(6, 3, 'first'));
    await eventually('the first 6 arrive', () => received.length === 6);
    subscription.pause();
    expect(subscription.paused).toBe(true);
    await sleep(300); // a fetch already on its way may still be handled
    const before = received.length;
    await transport.publish(topic, keyed(6, 3, 'second'));
    await sleep(1_500);
    expect(received.length).toBe(before);
    expect((await subscription.lag()).reduce((sum, partition) => sum + partition.lag, 0)).toBe(12 - before);
    subscription.resume();
    expect(subscription.paused).toBe(false);
    await eventually('the second 6 arrive', () => received.length === 12);
    await subscription.close();
  });

  it('reports lag per assigned partition of every topic, sorted, and [] once closed', async () => {
    const transport = await transportFor();
    const first = await topicWith(transport, 'lag-a', 2);
    const second = await topicWith(transport, 'lag-b', 3);
    await transport.publish(first, keyed(4, 4));
    await transport.publish(second, keyed(6, 6));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const subscription = await transport.subscribe({ group: freshName('group'), topics: [second, first], handler: () => gate });
    onTestFinished(() => release());
    await eventually('lag counts all 10', async () => (await subscription.lag()).reduce((sum, p) => sum + p.lag, 0) === 10);
    const lag = await subscription.lag();
    const [low, high] = first < second ? [first, second] : [second, first];
    expect(lag.map((p) => `${p.topic}/${p.partition}`)).toEqual([
      ...Array.from({ length: low === first ? 2 : 3 }, (_, partition) => `${low}/${partition}`),
      ...Array.from({ length: high === first ? 2 : 3 }, (_, partition) => `${high}/${partition}`),
    ]);
    release();
    await eventually('lag reaches 0', async () => (await subscription.lag()).every((p) => p.lag === 0));
    await subscription.close();
    expect(await subscription.lag()).toEqual([]);
  });
});
