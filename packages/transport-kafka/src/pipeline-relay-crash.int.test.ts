import { join } from 'node:path';
import { consumer } from '@eventfold/core';
import type { KafkaTransport } from '@eventfold/transport-kafka';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendScenario,
  createPipelineSchema,
  dropPipelineSchema,
  effectCount,
  freshSchema,
  pipelineInbox,
  pipelinePool,
  pipelineStore,
  scenarioEvents,
  summarise,
} from '../test/pipeline.js';
import {
  freshName,
  messagesIn,
  requireKafkaBrokers,
  requirePostgresUrl,
  setupOrFailEach,
  startWorker,
  testTransport,
  topicJanitor,
  type Worker,
  waitFor,
} from '../test/support.js';

// Failure test 2 (and the order law, 5): events are appended to the PostgreSQL event store while
// the relay, in a child process, is SIGKILLed at random points of its read/publish/checkpoint
// cycle and restarted (taking over once the dead one's lease lapses). No event may go missing; the
// batches it re-publishes reach the consumer as duplicates, which its inbox skips.
// EVENTFOLD_KAFKA_RELAY_EVENTS scales the run (default 10,000 events over 200 streams).

const EVENTS = Number(process.env.EVENTFOLD_KAFKA_RELAY_EVENTS ?? 10_000);
const STREAMS = 200;
const KILLS = 5;
const worker = join(import.meta.dirname, '../test/workers/relay-worker.ts');
const schema = freshSchema('relay');
const janitor = topicJanitor();
const transports: KafkaTransport[] = [];
const workers: Worker[] = [];
let pool: pg.Pool | undefined;
let brokers: string[] = [];
let databaseUrl = '';

setupOrFailEach(async () => {
  brokers = await requireKafkaBrokers();
  databaseUrl = await requirePostgresUrl();
  pool = pipelinePool(databaseUrl, 12);
  await createPipelineSchema(pool, schema);
});

afterAll(async () => {
  await Promise.allSettled(workers.map((running) => running.kill()));
  await Promise.allSettled(transports.map((transport) => transport.close()));
  await janitor.cleanup().catch(() => undefined);
  if (pool !== undefined) {
    await dropPipelineSchema(pool, schema);
    await pool.end();
  }
}, 120_000);

describe('pipeline through relay crashes', () => {
  it(`relays each of ${EVENTS} events through ${KILLS} SIGKILLs of the relay process; the inbox absorbs what is re-published`, async () => {
    const db = pool as pg.Pool;
    const users = freshName('user.created');
    const registrations = freshName('registration.created');
    janitor.track(users, registrations, `${users}.dlq`, `${registrations}.dlq`);
    const consumerSide = await testTransport({ clientId: 'eventfold-test-consumer', consumer: { partitionsConsumedConcurrently: 6 } });
    transports.push(consumerSide);
    await consumerSide.ensureTopics(
      [
        { topic: users, partitions: 3 },
        { topic: registrations, partitions: 3 },
      ],
      { deadLetters: true },
    );
    const name = 'relay-crash-consumer';
    const inbox = pipelineInbox(db, schema);
    const projector = consumer({
      transport: consumerSide,
      name,
      group: freshName('group'),
      topics: [users, registrations],
      inbox,
      handle: (event) => inbox.applyEffect(name, event),
    });
    await projector.start();

    const store = pipelineStore(db, schema);
    const events = scenarioEvents(EVENTS, STREAMS);
    const env = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      PIPELINE_SCHEMA: schema,
      USERS_TOPIC: users,
      REGISTRATIONS_TOPIC: registrations,
      RELAY_BATCH: '50',
    };
    const started = Date.now();
    // Appends run throughout (about 2,000 a second, 50 at a time), so every relay has work to be killed in.
    const appending = (async () => {
      for (let start = 0; start < events.length; start += 250) {
        await appendScenario(store, events.slice(start, start + 250), 50);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const killedAfter: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const relayProcess = startWorker(worker, env);
      workers.push(relayProcess);
      // Let it move its checkpoint a random number of times (it relays only once it holds the
      // lease), then a random few milliseconds more: the kill lands anywhere in its cycle.
      const moves = 1 + Math.floor(Math.random() * 8);
      let seen = await store.checkpoints.get('relay:outbox');
      let moved = 0;
      await waitFor(
        `the relay moves its checkpoint ${moves} times`,
        60_000,
        async () => {
          const now = await store.checkpoints.get('relay:outbox');
          if (now !== seen) {
            moved++;
            seen = now;
          }
          return moved >= moves || relayProcess.child.exitCode !== null;
        },
        5,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20)));
      const ended = await relayProcess.kill();
      killedAfter.push(`${moves}:${String(ended)}`);
      if (ended !== 'SIGKILL') throw new Error(`the relay ended before it was killed (${String(ended)}):\n${relayProcess.output()}`);
    }
    await appending;
    const appendedMs = Date.now() - started;
    const last = startWorker(worker, { ...env, RUN_ONCE: '1' });
    workers.push(last);
    expect(await last.exited, last.output()).toBe(0);

    await waitFor(`all ${EVENTS} effects are applied`, 300_000, async () => (await effectCount(db, schema, name)) >= EVENTS);
    const published = await messagesIn([users, registrations]);
    await waitFor('every published message reached the consumer', 60_000, async () => {
      const summary = await summarise(db, schema, name, []);
      return summary.processed + summary.skips >= published;
    });
    const totalMs = Date.now() - started;
    const stats = projector.stats();
    await projector.stop();
    await store.close();

    const summary = await summarise(
      db,
      schema,
      name,
      events.map(({ event }) => event.id as string),
    );
    console.info(
      `[relay crash] ${EVENTS} events, ${STREAMS} streams, appended within ${appendedMs} ms; relay killed ${KILLS} times ` +
        `(after checkpoint moves:signal ${killedAfter.join(', ')}); all applied after ${totalMs} ms; messages in Kafka ${published} (${published - EVENTS} re-published); ` +
        `inbox skips ${summary.skips}, processed ${summary.processed}, effects ${summary.effects}, doubled ${summary.doubled}, ` +
        `consumer stats ${JSON.stringify(stats)}`,
    );
    expect(summary.missing).toEqual([]);
    expect(summary.effects).toBe(EVENTS);
    expect(summary.doubled).toBe(0);
    expect(summary.processed).toBe(EVENTS);
    expect(summary.outOfOrder).toEqual([]);
    expect(summary.skips).toBeGreaterThanOrEqual(published - EVENTS);
    expect(stats.deadLettered).toBe(0);
  }, 600_000);
});
