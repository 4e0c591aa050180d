/**
 * Each stage of the pipeline suite alone, on the same servers and payloads, to show which one
 * bounds the whole: appends (16 writers, 10-event appends), the relay publishing everything to
 * Kafka, and the consumer applying everything (store inbox, `handleBatch`, one INSERT per batch).
 * Each stage runs with nothing else in the process, so the sum of their costs per event is what
 * the pipeline pays when it runs them together on the same cores.
 *
 * Run: `pnpm --filter @eventfold/benchmarks exec tsx --conditions=@eventfold/source src/tools/pipeline-stages.ts`
 * with DATABASE_URL and KAFKA_BROKERS set. STAGE_EVENTS sets the event count (default 40,000).
 */
import { availableParallelism } from 'node:os';
import { consumer, relay } from '@eventfold/core';
import { postgresEventStore } from '@eventfold/store-postgres';
import { kafkaTransport } from '@eventfold/transport-kafka';
import pg from 'pg';
import { orderPayload } from '../order-payload.js';

const EVENTS = Number(process.env.STAGE_EVENTS ?? 40_000);
const WRITERS = 16;
const PER_APPEND = 10;
const STREAMS = 200;
const url = process.env.DATABASE_URL;
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (!url || brokers.length === 0) throw new Error('set DATABASE_URL and KAFKA_BROKERS (eval "$(bash scripts/services env)")');

const data = orderPayload(1);

const pool = new pg.Pool({ connectionString: url, max: 24 });
const schema = `stages_${process.pid}`;
const topic = `stages-${process.pid}`;
const store = postgresEventStore({ pool, schema });
const transport = kafkaTransport({
  brokers,
  clientId: 'pipeline-stages',
  logLevel: 'nothing',
  consumer: { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100, partitionsConsumedConcurrently: 3, maxBatchSize: 500 },
});
let cpuAtStart = process.cpuUsage();
/** Events/s since `startedAt`, and this process's CPU time per event since the last call. */
function rate(count: number, startedAt: number): string {
  const { user, system } = process.cpuUsage(cpuAtStart);
  cpuAtStart = process.cpuUsage();
  return `${Math.round(count / ((performance.now() - startedAt) / 1000))} events/s, node CPU ${Math.round((user + system) / count)} µs/event`;
}

try {
  await store.migrate();
  await pool.query(`create table ${schema}.projection (event_id uuid primary key, stream_id text not null, version integer not null)`);
  await transport.ensureTopics([{ topic, partitions: 3 }]);

  let started = performance.now();
  cpuAtStart = process.cpuUsage();
  const appends = EVENTS / PER_APPEND;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let n = writer; n < appends; n += WRITERS) {
        await store.append(
          `order-${n % STREAMS}`,
          Array.from({ length: PER_APPEND }, () => ({ type: 'order.placed', data })),
        );
      }
    }),
  );
  console.log(`appends (${WRITERS} writers, ${PER_APPEND}-event appends): ${rate(EVENTS, started)}`);

  started = performance.now();
  cpuAtStart = process.cpuUsage();
  const outbox = relay({ store, transport, routes: { order: topic }, batchSize: 1_000 });
  const { published } = await outbox.runOnce();
  console.log(`relay (pages of 1,000, read → publish → checkpoint): ${rate(published, started)}`);

  let applied = 0;
  started = performance.now();
  cpuAtStart = process.cpuUsage();
  const projector = consumer({
    transport,
    inbox: store.inbox,
    name: 'stages',
    topics: [topic],
    handleBatch: async (events) => {
      await store.currentTransaction()?.client.query({
        name: `${schema}-project`,
        text: `insert into ${schema}.projection select * from unnest($1::uuid[], $2::text[], $3::integer[])`,
        values: [events.map((e) => e.id), events.map((e) => e.streamId), events.map((e) => e.version)],
      });
      applied += events.length;
    },
  });
  await projector.start();
  while (applied < published) await new Promise((resolve) => setTimeout(resolve, 5));
  console.log(`consumer (store inbox, handleBatch, one INSERT per batch, group join included): ${rate(applied, started)}`);
  await projector.stop();
  console.log(`cores: ${availableParallelism()}, node: ${process.version}, events: ${EVENTS}`);
} finally {
  await transport.close();
  await store.close();
  await pool.query(`drop schema if exists ${schema} cascade`);
  await pool.end();
}
