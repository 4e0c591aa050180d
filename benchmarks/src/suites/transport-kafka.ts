/**
 * `@eventfold/transport-kafka` against plain kafkajs code doing the same durable work on the same
 * broker: an idempotent producer with acks -1 publishing event messages (a JSON value and the
 * headers the relay sets), and a consumer group that commits after handling each batch. Each
 * measure uses a fresh topic (3 partitions) and group, created or filled before timing starts.
 */
import { kafkaTransport } from '@eventfold/transport-kafka';
import * as kafkajs from 'kafkajs';
import type { Suite, Workload } from '../harness.js';

type KafkaTransport = ReturnType<typeof kafkaTransport>;
type Kafka = InstanceType<typeof kafkajs.Kafka>;

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const PARTITIONS = 3;
const PUBLISHED = 20_000;
const PER_PUBLISH = 100;
const CONSUMED = 20_000;
const ROUND_TRIPS = 200;
// The same group settings for both sides.
const group = { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 };

let kafka: Kafka;
let admin: ReturnType<Kafka['admin']>;
let producer: ReturnType<Kafka['producer']>;
let transport: KafkaTransport;
const topics: string[] = [];
let run = 0;

/** An event message as the relay publishes it: key = stream id, JSON value, the event headers. */
function message(i: number): { key: string; value: Buffer; headers: Record<string, string> } {
  const streamId = `order-${i % 500}`;
  return {
    key: streamId,
    value: Buffer.from(
      JSON.stringify({
        data: { orderId: `o-${i}`, customer: 'Ada Lovelace', lines: [{ sku: 'A-1', quantity: 2, price: 9.5 }] },
        metadata: {},
      }),
    ),
    headers: {
      'event-id': `0190a1b2-0000-7000-8000-${String(i).padStart(12, '0')}`,
      'event-type': 'order.placed',
      'schema-version': '1',
      'stream-id': streamId,
      'stream-version': String(Math.floor(i / 500) + 1),
      position: String(i + 1),
      'recorded-at': '2026-01-01T00:00:00.000Z',
      'correlation-id': `c-${i}`,
    },
  };
}
const messages = Array.from({ length: Math.max(PUBLISHED, CONSUMED) }, (_, i) => message(i));

async function freshTopic(): Promise<string> {
  const topic = `bench-transport-kafka-${process.pid}-${run++}`;
  topics.push(topic);
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  return topic;
}

async function filledTopic(count: number): Promise<string> {
  const topic = await freshTopic();
  for (let start = 0; start < count; start += 1_000)
    await producer.send({ topic, acks: -1, messages: messages.slice(start, start + 1_000) });
  return topic;
}

async function rate(count: number, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return count / ((performance.now() - started) / 1000);
}

function percentile(times: number[], share: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] as number;
}

/** Resolves when `done()` turns true, checking every millisecond. */
function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (done() ? resolve() : setTimeout(check, 1));
    check();
  });
}

const publish: Workload = {
  name: `publish-${PUBLISHED}-events-${PER_PUBLISH}-per-call`,
  metric: 'throughput',
  unit: 'events/s',
  higherIsBetter: true,
  ours: async () => {
    const topic = await freshTopic();
    return rate(PUBLISHED, async () => {
      for (let start = 0; start < PUBLISHED; start += PER_PUBLISH)
        await transport.publish(topic, messages.slice(start, start + PER_PUBLISH));
    });
  },
  baseline: async () => {
    const topic = await freshTopic();
    return rate(PUBLISHED, async () => {
      for (let start = 0; start < PUBLISHED; start += PER_PUBLISH) {
        await producer.send({ topic, acks: -1, messages: messages.slice(start, start + PER_PUBLISH) });
      }
    });
  },
};

/** From subscribing until every message was handled and its offset committed (the group join included, on both sides). */
const consume: Workload = {
  name: `consume-${CONSUMED}-events-commit-per-batch`,
  metric: 'throughput',
  unit: 'events/s',
  higherIsBetter: true,
  ours: async () => {
    const topic = await filledTopic(CONSUMED);
    let handled = 0;
    const started = performance.now();
    const subscription = await transport.subscribe({
      group: `${topic}-ours`,
      topics: [topic],
      handler: async (batch) => {
        handled += batch.length;
      },
    });
    await until(() => handled >= CONSUMED);
    const elapsed = performance.now() - started;
    await subscription.close();
    return CONSUMED / (elapsed / 1000);
  },
  baseline: async () => {
    const topic = await filledTopic(CONSUMED);
    let handled = 0;
    const consumer = kafka.consumer({ groupId: `${topic}-plain`, ...group });
    const started = performance.now();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, commitOffsetsIfNecessary }) => {
        handled += batch.messages.length;
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      },
    });
    await until(() => handled >= CONSUMED);
    const elapsed = performance.now() - started;
    await consumer.disconnect();
    return CONSUMED / (elapsed / 1000);
  },
};

/** Publish one event, wait until a subscribed group has handled it; repeated, sequentially. */
function latency(name: string, share: number): Workload {
  return {
    name: `publish-to-handler-${ROUND_TRIPS}-round-trips-${name}`,
    metric: `latency-${name}`,
    unit: 'ms',
    higherIsBetter: false,
    ours: async () => {
      const topic = await freshTopic();
      let handled = 0;
      const subscription = await transport.subscribe({
        group: `${topic}-ours`,
        topics: [topic],
        handler: async (batch) => {
          handled += batch.length;
        },
      });
      const times: number[] = [];
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const started = performance.now();
        await transport.publish(topic, [messages[i] as (typeof messages)[number]]);
        await until(() => handled > i);
        times.push(performance.now() - started);
      }
      await subscription.close();
      return percentile(times, share);
    },
    baseline: async () => {
      const topic = await freshTopic();
      let handled = 0;
      const consumer = kafka.consumer({ groupId: `${topic}-plain`, ...group });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      // run() resolves once the group is joined, as subscribe() does on our side.
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, commitOffsetsIfNecessary }) => {
          handled += batch.messages.length;
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset: next }] }] });
        },
      });
      const times: number[] = [];
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const started = performance.now();
        await producer.send({ topic, acks: -1, messages: [messages[i] as (typeof messages)[number]] });
        await until(() => handled > i);
        times.push(performance.now() - started);
      }
      await consumer.disconnect();
      return percentile(times, share);
    },
  };
}

const suite: Suite = {
  name: 'transport-kafka',
  baseline: 'plain kafkajs 2.2.4: idempotent producer with acks -1; consumer group committing after each batch',
  async facts() {
    const cluster = await admin.describeCluster();
    return {
      server: `Kafka (KRaft), ${cluster.brokers.length} broker(s) at ${brokers.join(',')}`,
      kafkajs: '2.2.4',
      partitions: String(PARTITIONS),
    };
  },
  async setup() {
    if (brokers.length === 0)
      throw new Error('KAFKA_BROKERS is not set: run bash scripts/services up kafka && eval "$(bash scripts/services env)"');
    kafka = new kafkajs.Kafka({ brokers, clientId: 'bench-plain', logLevel: kafkajs.logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    transport = kafkaTransport({ brokers, clientId: 'bench-ours', logLevel: 'nothing', consumer: group });
  },
  async teardown() {
    await transport?.close();
    await producer?.disconnect();
    if (topics.length > 0) await admin?.deleteTopics({ topics, timeout: 60_000 }).catch(() => undefined);
    await admin?.disconnect();
  },
  async workloads() {
    return [publish, consume, latency('p50', 0.5), latency('p99', 0.99)];
  },
};

export default suite;
