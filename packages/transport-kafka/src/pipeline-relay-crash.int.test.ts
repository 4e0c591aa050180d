import { join } from 'node:path';
import { consumer } from '@eventfold/core';
import type { KafkaTransport } from '@eventfold/transport-kafka';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPipelineSchema,
  dropPipelineSchema,
  effectCount,
  freshSchema,
  pipelineCheckpoints,
  pipelineInbox,
  pipelinePool,
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
} from '../test/support.js';

// Failure test 2 (and the order law, 5): the relay runs in a child process that is SIGKILLed at
// random points of its publish/checkpoint cycle, then restarted. No event may go missing; the
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

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

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

    const checkpoints = pipelineCheckpoints(db, schema);
    const env = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      PIPELINE_SCHEMA: schema,
      EVENTS: String(EVENTS),
      STREAMS: String(STREAMS),
      USERS_TOPIC: users,
      REGISTRATIONS_TOPIC: registrations,
      RELAY_BATCH: '50',
    };
    const started = Date.now();
    const killedAt: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const relayProcess = startWorker(worker, env);
      workers.push(relayProcess);
      // A random checkpoint within this kill's share of the log, then a random few milliseconds
      // more, so the kill lands anywhere in the read → publish → checkpoint cycle.
      const target = BigInt(Math.floor(((kill + Math.random()) / KILLS) * EVENTS * 0.9));
      await waitFor(
        `the relay passes position ${target}`,
        60_000,
        async () => ((await checkpoints.get('relay:outbox')) ?? 0n) >= target || relayProcess.child.exitCode !== null,
        5,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20)));
      const ended = await relayProcess.kill();
      killedAt.push(`${(await checkpoints.get('relay:outbox')) ?? 0n}:${String(ended)}`);
      if (ended !== 'SIGKILL') throw new Error(`the relay ended before it was killed (${String(ended)}):\n${relayProcess.output()}`);
    }
    const last = startWorker(worker, env);
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

    const summary = await summarise(
      db,
      schema,
      name,
      scenarioEvents(EVENTS, STREAMS).map(({ event }) => event.id as string),
    );
    console.info(
      `[relay crash] ${EVENTS} events, ${STREAMS} streams, relay killed ${KILLS} times at checkpoint:signal ${killedAt.join(', ')}; ` +
        `all applied after ${totalMs} ms; messages in Kafka ${published} (${published - EVENTS} re-published); ` +
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
