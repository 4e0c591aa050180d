/**
 * The whole pipeline: appends to `@eventfold/store-postgres` → core's `relay` →
 * `@eventfold/transport-kafka` → core's idempotent `consumer` → projection rows in PostgreSQL
 * (a table keyed by the event id, written in the store's transactional inbox, so the inbox records
 * and the rows commit together: one transaction per delivered batch, the rows of the batch in one
 * INSERT through `handleBatch`). The baseline is the ceiling of the broker alone: plain kafkajs
 * producing the same number of messages (idempotent, acks -1) and a consumer group committing
 * after each batch, on the same broker. Each measure uses a fresh store schema, topic
 * (3 partitions) and group; the consumer is joined and one warm-up event has gone through before
 * timing starts.
 *
 * - Max rate: 16 writers append `EVENTS` events in 10-event appends over 200 streams as fast as
 *   they can; from the first append to the last projection row committed. Measured twice: with
 *   `handleBatch`, and with a `handle` that inserts one row per call (the baseline is the same).
 * - Latency: 1,000 events/s offered (single-event appends, open loop) for 10 s; per event, the
 *   projection row's commit minus the append's resolve (baseline: consumed minus the send's resolve).
 *   Each of our rounds also prints where that time went: append → the relay's publish resolved →
 *   the consumer calls the inbox → the handler starts → the row (and inbox record) committed.
 */
import { consumer, type Inbox, type RecordedEvent, relay, type Transport } from '@eventfold/core';
import { postgresEventStore } from '@eventfold/store-postgres';
import { kafkaTransport } from '@eventfold/transport-kafka';
import * as kafkajs from 'kafkajs';
import pg from 'pg';
import type { Suite, Workload } from '../harness.js';
import { orderPayload } from '../order-payload.js';

type Pool = InstanceType<typeof pg.Pool>;
type Kafka = InstanceType<typeof kafkajs.Kafka>;
type KafkaTransport = ReturnType<typeof kafkaTransport>;

const url = process.env.DATABASE_URL;
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const PARTITIONS = 3;
const EVENTS = Number(process.env.BENCH_PIPELINE_EVENTS ?? 20_000);
const WRITERS = 16;
const PER_APPEND = Number(process.env.BENCH_PIPELINE_PER_APPEND ?? 10);
const STREAMS = 200;
const RATE = 1_000;
const SECONDS = Number(process.env.BENCH_PIPELINE_SECONDS ?? 10);
// The same group settings for both sides (as in the transport-kafka suite).
const group = { sessionTimeout: 6_000, heartbeatInterval: 500, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 };

let pool: Pool;
let kafka: Kafka;
let admin: ReturnType<Kafka['admin']>;
let producer: ReturnType<Kafka['producer']>;
let transport: KafkaTransport;
const topics: string[] = [];
let run = 0;

/** A message shaped as the relay publishes one: key = stream id, JSON value, the event headers. */
function message(i: number) {
  const streamId = `order-${i % STREAMS}`;
  return {
    key: streamId,
    value: Buffer.from(JSON.stringify({ data: orderPayload(i), metadata: {} })),
    headers: {
      'event-id': String(i),
      'event-type': 'order.placed',
      'schema-version': '1',
      'stream-id': streamId,
      'stream-version': String(Math.floor(i / STREAMS) + 1),
      position: String(i + 1),
      'recorded-at': new Date().toISOString(),
    },
  };
}

const totalOf = (event: RecordedEvent) => (event.data as { total: number }).total;

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] as number;
}

/** Resolves when `done()` turns true, checking every millisecond; rejects after `timeoutMs`. */
function until(what: string, done: () => boolean, timeoutMs = 180_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (done()) resolve();
      else if (performance.now() > deadline) reject(new Error(`pipeline bench: timed out waiting until ${what}`));
      else setTimeout(check, 1);
    };
    check();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Offers `RATE` events/s for `SECONDS` s, open loop: every millisecond tick starts the sends that
 * are due, without waiting for earlier ones.
 */
async function offer(send: (i: number) => Promise<void>): Promise<void> {
  const total = RATE * SECONDS;
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let next = 0; next < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * RATE) / 1000) + 1);
    for (; next < due; next++) pending.push(send(next));
    await sleep(1);
  }
  await Promise.all(pending);
}

// --- ours: the pipeline --------------------------------------------------------------------------

interface Pipeline {
  append(streamId: string, count: number, from: number): Promise<RecordedEvent[]>;
  /** Projection rows committed so far (warm-up included). */
  effects(): number;
  /** When each event's projection row committed (performance.now()), by event id. */
  effectTimes: Map<string, number>;
  /** When the handler first started on each event, by event id. */
  startTimes: Map<string, number>;
  /** When the relay's publish of each event resolved, by event id. */
  publishTimes: Map<string, number>;
  /** When the consumer first called the inbox for each event, by event id. */
  claimTimes: Map<string, number>;
  stop(): Promise<void>;
}

async function startPipeline(handling: 'batch' | 'message'): Promise<Pipeline> {
  const r = run++;
  const schema = `bench_pipeline_${process.pid}_${r}`;
  const topic = `bench-pipeline-${process.pid}-${r}`;
  topics.push(topic);
  const store = postgresEventStore({ pool, schema });
  await store.migrate();
  await pool.query(`create table ${schema}.projection (
    event_id uuid primary key, stream_id text not null, version integer not null, total numeric not null)`);
  await transport.ensureTopics([{ topic, partitions: PARTITIONS }]);

  const effectTimes = new Map<string, number>();
  const startTimes = new Map<string, number>();
  const publishTimes = new Map<string, number>();
  const claimTimes = new Map<string, number>();
  let effects = 0;
  // The transport as the relay sees it, noting when each publish resolved.
  const relayTransport: Transport = {
    async publish(topic, messages) {
      await transport.publish(topic, messages);
      const now = performance.now();
      for (const m of messages) publishTimes.set(m.headers?.['event-id'] ?? '', now);
    },
    subscribe: (options) => transport.subscribe(options),
    close: async () => undefined,
  };
  // The store's inbox, noting when each message's transaction (inbox records + rows) committed.
  const inbox: Inbox = {
    async runOnce(name, messageId, work) {
      if (!claimTimes.has(messageId)) claimTimes.set(messageId, performance.now());
      const outcome = await store.inbox.runOnce(name, messageId, work);
      if (outcome === 'processed') {
        effectTimes.set(messageId, performance.now());
        effects++;
      }
      return outcome;
    },
    async runBatch(name, messageIds, work) {
      const claimedAt = performance.now();
      for (const id of messageIds) if (!claimTimes.has(id)) claimTimes.set(id, claimedAt);
      const outcomes = await store.inbox.runBatch(name, messageIds, (fresh) => work(fresh));
      const committedAt = performance.now();
      outcomes.forEach((outcome, index) => {
        if (outcome !== 'processed') return;
        effectTimes.set(messageIds[index] as string, committedAt);
        effects++;
      });
      return outcomes;
    },
    has: (name, messageId) => store.inbox.has(name, messageId),
  };
  const inTransaction = () => {
    const tx = store.currentTransaction();
    if (tx === undefined) throw new Error('the projection runs only inside the inbox transaction');
    return tx;
  };
  const projector = consumer({
    transport,
    name: 'order-totals',
    group: `${topic}-group`,
    topics: [topic],
    inbox,
    onError: (error) => console.error(`  consumer: ${String(error)}`),
    ...(handling === 'batch'
      ? {
          // The projection's rows of a whole delivered batch in one statement, in the inbox's transaction.
          handleBatch: async (events: readonly RecordedEvent[]) => {
            const startedAt = performance.now();
            for (const event of events) if (!startTimes.has(event.id)) startTimes.set(event.id, startedAt);
            await inTransaction().client.query({
              name: `${schema}-project-many`,
              text: `insert into ${schema}.projection (event_id, stream_id, version, total)
                select * from unnest($1::uuid[], $2::text[], $3::integer[], $4::numeric[])`,
              values: [events.map((e) => e.id), events.map((e) => e.streamId), events.map((e) => e.version), events.map(totalOf)],
            });
          },
        }
      : {
          handle: async (event: RecordedEvent) => {
            if (!startTimes.has(event.id)) startTimes.set(event.id, performance.now());
            // A named statement: prepared once per connection, as hand-written pg code would do it.
            await inTransaction().client.query({
              name: `${schema}-project`,
              text: `insert into ${schema}.projection (event_id, stream_id, version, total) values ($1, $2, $3, $4)`,
              values: [event.id, event.streamId, event.version, totalOf(event)],
            });
          },
        }),
  });
  const outbox = relay({
    store,
    transport: relayTransport,
    routes: { order: topic },
    batchSize: 1_000,
    pollIntervalMs: 100,
    onError: (error) => console.error(`  relay: ${String(error)}`),
  });
  await projector.start();
  outbox.start();

  const pipeline: Pipeline = {
    async append(streamId, count, from) {
      const events = Array.from({ length: count }, (_, i) => ({ type: 'order.placed', data: orderPayload(from + i) }));
      return [...(await store.append(streamId, events)).events];
    },
    effects: () => effects,
    effectTimes,
    startTimes,
    publishTimes,
    claimTimes,
    async stop() {
      await outbox.stop();
      await projector.stop();
      await store.close();
      await pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    },
  };
  // Warm-up: one event all the way through, so the group is joined and every connection open.
  try {
    await pipeline.append('order-warmup', 1, 0);
    await until('the warm-up event took effect', () => effects >= 1, 60_000);
  } catch (error) {
    await pipeline.stop();
    throw error;
  }
  return pipeline;
}

async function pipelineMaxRate(handling: 'batch' | 'message'): Promise<number> {
  const pipeline = await startPipeline(handling);
  try {
    const appends = EVENTS / PER_APPEND;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let n = writer; n < appends; n += WRITERS) await pipeline.append(`order-${n % STREAMS}`, PER_APPEND, n * PER_APPEND);
      }),
    );
    const appended = performance.now();
    await until(`all ${EVENTS} projection rows committed`, () => pipeline.effects() >= EVENTS + 1);
    const finished = performance.now();
    const published = Math.max(...pipeline.publishTimes.values());
    const seconds = (until: number) => ((until - started) / 1000).toFixed(2);
    console.log(
      `  (ours, ${handling === 'batch' ? 'handleBatch' : 'handle'}: appends done at ${seconds(appended)} s, relay's last publish at ${seconds(published)} s, last row at ${seconds(finished)} s)`,
    );
    return EVENTS / ((finished - started) / 1000);
  } finally {
    await pipeline.stop();
  }
}

async function pipelineLatency(): Promise<number[]> {
  const pipeline = await startPipeline('batch');
  try {
    const committed = new Map<string, number>();
    await offer(async (i) => {
      const [event] = await pipeline.append(`order-${i % STREAMS}`, 1, i);
      committed.set((event as RecordedEvent).id, performance.now());
    });
    await until(`all ${committed.size} projection rows committed`, () => pipeline.effects() >= committed.size + 1);
    const toPublished = [...committed].map(([id, at]) => (pipeline.publishTimes.get(id) as number) - at);
    const toInbox = [...committed].map(([id]) => (pipeline.claimTimes.get(id) as number) - (pipeline.publishTimes.get(id) as number));
    const toHandler = [...committed].map(([id]) => (pipeline.startTimes.get(id) as number) - (pipeline.claimTimes.get(id) as number));
    const inHandler = [...committed].map(([id]) => (pipeline.effectTimes.get(id) as number) - (pipeline.startTimes.get(id) as number));
    const figures = (values: number[]) => [0.5, 0.99].map((share) => percentile(values, share).toFixed(1)).join('/');
    console.log(
      `  (ours, p50/p99: append resolved → relay's publish resolved ${figures(toPublished)} ms; → consumer calls the inbox ${figures(toInbox)} ms; → handler started ${figures(toHandler)} ms; → row committed ${figures(inHandler)} ms)`,
    );
    return [...committed].map(([id, at]) => (pipeline.effectTimes.get(id) as number) - at);
  } finally {
    await pipeline.stop();
  }
}

// --- the baseline: plain kafkajs -----------------------------------------------------------------

interface PlainGroup {
  topic: string;
  handled(): number;
  handledAt: Map<string, number>;
  stop(): Promise<void>;
}

async function startPlainGroup(): Promise<PlainGroup> {
  const topic = `bench-pipeline-plain-${process.pid}-${run++}`;
  topics.push(topic);
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const handledAt = new Map<string, number>();
  let handled = 0;
  const plainConsumer = kafka.consumer({ groupId: `${topic}-group`, ...group });
  await plainConsumer.connect();
  await plainConsumer.subscribe({ topics: [topic], fromBeginning: true });
  await plainConsumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch, commitOffsetsIfNecessary }) => {
      const now = performance.now();
      for (const m of batch.messages) handledAt.set(String(m.headers?.['event-id']), now);
      handled += batch.messages.length;
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset: next }] }] });
    },
  });
  // Warm-up, as on our side.
  await producer.send({ topic, acks: -1, messages: [message(-1)] });
  await until('the warm-up message was consumed', () => handled >= 1, 60_000);
  return { topic, handled: () => handled, handledAt, stop: () => plainConsumer.disconnect() };
}

async function plainMaxRate(): Promise<number> {
  const plain = await startPlainGroup();
  try {
    const sends = EVENTS / PER_APPEND;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let n = writer; n < sends; n += WRITERS) {
          const messages = Array.from({ length: PER_APPEND }, (_, i) => message(n * PER_APPEND + i));
          await producer.send({ topic: plain.topic, acks: -1, messages });
        }
      }),
    );
    await until(`all ${EVENTS} messages consumed`, () => plain.handled() >= EVENTS + 1);
    return EVENTS / ((performance.now() - started) / 1000);
  } finally {
    await plain.stop();
  }
}

async function plainLatency(): Promise<number[]> {
  const plain = await startPlainGroup();
  try {
    const sent = new Map<string, number>();
    await offer(async (i) => {
      await producer.send({ topic: plain.topic, acks: -1, messages: [message(i)] });
      sent.set(String(i), performance.now());
    });
    await until(`all ${sent.size} messages consumed`, () => plain.handled() >= sent.size + 1);
    return [...sent].map(([id, at]) => (plain.handledAt.get(id) as number) - at);
  } finally {
    await plain.stop();
  }
}

// --- workloads -----------------------------------------------------------------------------------

const maxRate: Workload = {
  name: `pipeline-max-rate-${EVENTS}-events`,
  metric: 'throughput',
  unit: 'events/s',
  higherIsBetter: true,
  ours: () => pipelineMaxRate('batch'),
  baseline: plainMaxRate,
};

/** The same, with a handler called once per message (one INSERT each) instead of once per batch. */
const maxRateOneByOne: Workload = {
  ...maxRate,
  name: `pipeline-max-rate-${EVENTS}-events-handler-per-message`,
  ours: () => pipelineMaxRate('message'),
};

/**
 * One latency run per round and side gives all three percentiles: the p50 workload runs it, the
 * p95 and p99 workloads report the same round's figures (runSuite calls the sides in the same order
 * for every workload).
 */
function latencyWorkloads(): Workload[] {
  const runs = { ours: [] as number[][], baseline: [] as number[][] };
  const shares = [
    ['p50', 0.5],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const;
  return shares.map(([label, share], index) => {
    const calls = { ours: 0, baseline: 0 };
    const measure = (side: 'ours' | 'baseline', measureOnce: () => Promise<number[]>) => async () => {
      const round = calls[side]++;
      if (index === 0) runs[side].push(await measureOnce());
      return percentile(runs[side][round] as number[], share);
    };
    return {
      name: `pipeline-latency-${label}-at-${RATE}-per-s`,
      metric: `latency-${label}`,
      unit: 'ms',
      higherIsBetter: false,
      ours: measure('ours', pipelineLatency),
      baseline: measure('baseline', plainLatency),
    };
  });
}

const suite: Suite = {
  name: 'pipeline',
  baseline:
    'plain kafkajs 2.2.4 on the same broker (the ceiling): idempotent producer with acks -1, consumer group committing after each batch; no PostgreSQL',
  async facts() {
    const setting = async (name: string) => String((await pool.query(`select current_setting($1) as v`, [name])).rows[0].v);
    const cluster = await admin.describeCluster();
    return {
      postgres: String((await pool.query('select version() as v')).rows[0].v).split(' on ')[0] ?? '',
      fsync: await setting('fsync'),
      synchronous_commit: await setting('synchronous_commit'),
      kafka: `KRaft, ${cluster.brokers.length} broker(s) at ${brokers.join(',')}`,
      kafkajs: '2.2.4',
      partitions: String(PARTITIONS),
    };
  },
  async setup() {
    if (!url) throw new Error('DATABASE_URL is not set: bash scripts/services up postgres kafka && eval "$(bash scripts/services env)"');
    if (brokers.length === 0)
      throw new Error('KAFKA_BROKERS is not set: bash scripts/services up postgres kafka && eval "$(bash scripts/services env)"');
    pool = new pg.Pool({ connectionString: url, max: 24, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => undefined);
    kafka = new kafkajs.Kafka({ brokers, clientId: 'bench-pipeline-plain', logLevel: kafkajs.logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    transport = kafkaTransport({
      brokers,
      clientId: 'bench-pipeline-ours',
      logLevel: 'nothing',
      // Up to 500 messages per handler call (the transport's default is 100): a transaction each.
      consumer: { ...group, partitionsConsumedConcurrently: PARTITIONS, maxBatchSize: 500 },
    });
  },
  async teardown() {
    await transport?.close();
    await producer?.disconnect();
    if (topics.length > 0) await admin?.deleteTopics({ topics, timeout: 60_000 }).catch(() => undefined);
    await admin?.disconnect();
    await pool?.end();
  },
  async workloads() {
    return [maxRate, maxRateOneByOne, ...latencyWorkloads()];
  },
};

export default suite;
