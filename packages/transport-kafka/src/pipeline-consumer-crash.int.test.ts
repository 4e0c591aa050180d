import { join } from 'node:path';
import { relay } from '@eventfold/core';
import type { KafkaTransport } from '@eventfold/transport-kafka';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendScenario,
  createPipelineSchema,
  dropPipelineSchema,
  effectCount,
  freshSchema,
  pipelinePool,
  pipelineStore,
  scenarioEvents,
  summarise,
} from '../test/pipeline.js';
import {
  freshName,
  requireKafkaBrokers,
  requirePostgresUrl,
  setupOrFailEach,
  startWorker,
  testTransport,
  topicJanitor,
  type Worker,
  waitFor,
} from '../test/support.js';

// Failure test 3 (and the order law, 5): the consumer runs in a child process that SIGKILLs itself
// right after a message's effect committed in PostgreSQL and before Kafka got the offset, and is
// also killed from outside at a random moment. The uncommitted messages come back to the next
// process; the inbox skips those already applied, so no effect applies twice and none is lost.
// EVENTFOLD_KAFKA_CONSUMER_EVENTS scales the run (default 3,000 events over 120 streams: each
// restart waits out the killed member's 6 s session, so more events buy little).

const EVENTS = Number(process.env.EVENTFOLD_KAFKA_CONSUMER_EVENTS ?? 3_000);
const STREAMS = 120;
const SELF_CRASHES = 3;
const worker = join(import.meta.dirname, '../test/workers/consumer-worker.ts');
const schemas = { pipeline: freshSchema('consumer'), store: freshSchema('consumer_store') };
const janitor = topicJanitor();
const transports: KafkaTransport[] = [];
const workers: Worker[] = [];
let pool: pg.Pool | undefined;
let brokers: string[] = [];
let databaseUrl = '';

setupOrFailEach(async () => {
  brokers = await requireKafkaBrokers();
  databaseUrl = await requirePostgresUrl();
  pool = pipelinePool(databaseUrl, 4);
  for (const schema of Object.values(schemas)) await createPipelineSchema(pool, schema);
});

afterAll(async () => {
  await Promise.allSettled(workers.map((running) => running.kill()));
  await Promise.allSettled(transports.map((transport) => transport.close()));
  await janitor.cleanup().catch(() => undefined);
  if (pool !== undefined) {
    for (const schema of Object.values(schemas)) await dropPipelineSchema(pool, schema);
    await pool.end();
  }
}, 120_000);

// Once with the test's own inbox (a transaction per message, `handle`); once with the store's inbox
// and `handleBatch` (a transaction per delivered batch, the batch's effects in one statement).
describe.each([
  { inbox: 'pipeline', label: 'a transaction per message' },
  { inbox: 'store', label: "the store's inbox, a transaction per batch" },
] as const)('pipeline through consumer crashes, $label', ({ inbox }) => {
  it(`applies each of ${EVENTS} events once although the consumer dies between its effect and its offset commit`, async () => {
    const db = pool as pg.Pool;
    const schema = schemas[inbox];
    const users = freshName('user.created');
    const registrations = freshName('registration.created');
    janitor.track(users, registrations, `${users}.dlq`, `${registrations}.dlq`);
    const relaySide = await testTransport({ clientId: 'eventfold-test-relay' });
    transports.push(relaySide);
    await relaySide.ensureTopics(
      [
        { topic: users, partitions: 3 },
        { topic: registrations, partitions: 3 },
      ],
      { deadLetters: true },
    );
    const store = pipelineStore(db, schema);
    const events = scenarioEvents(EVENTS, STREAMS);
    await appendScenario(store, events, 50);
    // Small relay batches make small Kafka record batches, which a fetch never splits: together with
    // the worker's small fetches, a run overshoots its crash point by tens of messages, not hundreds.
    const outbox = relay({ store, transport: relaySide, routes: { user: users, registration: registrations }, batchSize: 50 });
    expect((await outbox.runOnce()).published).toBe(EVENTS);
    await store.close();

    const name = `crashing-consumer-${inbox}`;
    const env = {
      INBOX: inbox,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      PIPELINE_SCHEMA: schema,
      CONSUMER_NAME: name,
      GROUP: freshName('group'),
      TOPICS: [users, registrations].join(','),
      EXPECTED: String(EVENTS),
    };
    const started = Date.now();
    const crashes: string[] = [];
    // Each run handles a random share of what is left, then dies right after an effect committed.
    // The share leaves room for the batches other partitions commit meanwhile (up to a few hundred).
    for (let run = 0; run < SELF_CRASHES; run++) {
      const before = await effectCount(db, schema, name);
      const crashAfter = 1 + Math.floor(((0.5 + Math.random()) * (EVENTS - before)) / (SELF_CRASHES - run + 3));
      const consumerProcess = startWorker(worker, { ...env, CRASH_AFTER: String(crashAfter) });
      workers.push(consumerProcess);
      const ended = await Promise.race([
        consumerProcess.exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 120_000)),
      ]);
      crashes.push(`${before}+${crashAfter}:${String(ended)}`);
      if (ended !== 'SIGKILL') throw new Error(`run ${run} did not crash itself (${String(ended)}):\n${consumerProcess.output()}`);
    }
    // One more, killed from outside at a random moment of its work (mid-transaction, mid-fetch…).
    const before = await effectCount(db, schema, name);
    if (before >= EVENTS) throw new Error(`the self-crashing runs left nothing for the outside kill: ${crashes.join(', ')}`);
    const outsideKill = startWorker(worker, env);
    workers.push(outsideKill);
    // Soon after it starts applying: a consumer with batches finishes the rest in well under a second.
    await waitFor('the consumer applies more', 120_000, async () => (await effectCount(db, schema, name)) > before, 10);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 100)));
    crashes.push(`${before}+outside:${String(await outsideKill.kill())}`);

    const last = startWorker(worker, env);
    workers.push(last);
    const lastEnded = await Promise.race([last.exited, new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 240_000))]);
    expect(lastEnded, last.output()).toBe(0);
    const totalMs = Date.now() - started;

    const summary = await summarise(
      db,
      schema,
      name,
      events.map(({ event }) => event.id as string),
      inbox,
    );
    console.info(
      `[consumer crash, ${inbox} inbox] ${EVENTS} events, ${STREAMS} streams, runs ended at effects+crashAfter:signal ${crashes.join(', ')}; ` +
        `all applied after ${totalMs} ms; inbox skips ${summary.skips}, processed ${summary.processed}, effects ${summary.effects}, ` +
        `doubled ${summary.doubled}`,
    );
    expect(summary.missing).toEqual([]);
    expect(summary.effects).toBe(EVENTS);
    expect(summary.doubled).toBe(0);
    expect(summary.processed).toBe(EVENTS);
    expect(summary.outOfOrder).toEqual([]);
    // Every self-crash left at least its last message applied but uncommitted: redelivered and skipped.
    expect(summary.skips).toBeGreaterThanOrEqual(SELF_CRASHES);
  }, 600_000);
});
