import { consumer, messageToEvent, relay } from '@eventfold/core';
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
  isManagedByScript,
  messagesIn,
  requireKafkaBrokers,
  requirePostgresUrl,
  servicesScript,
  setupOrFailEach,
  testTransport,
  topicJanitor,
  waitFor,
} from '../test/support.js';

// Failure test 1 (and the order law, 5): the broker stops and starts again while events are being
// appended to the PostgreSQL event store, relayed and consumed. Every event must take effect exactly once, in stream order.
// EVENTFOLD_KAFKA_RESTART_EVENTS scales the run (default 10,000 events over 200 streams).

const EVENTS = Number(process.env.EVENTFOLD_KAFKA_RESTART_EVENTS ?? 10_000);
const STREAMS = 200;
const schema = freshSchema('restart');
const janitor = topicJanitor();
let pool: pg.Pool | undefined;
const transports: KafkaTransport[] = [];

setupOrFailEach(async () => {
  await requireKafkaBrokers();
  pool = pipelinePool(await requirePostgresUrl(), 12);
  await createPipelineSchema(pool, schema);
});

afterAll(async () => {
  await Promise.allSettled(transports.map((transport) => transport.close()));
  await janitor.cleanup().catch(() => undefined);
  if (pool !== undefined) {
    await dropPipelineSchema(pool, schema);
    await pool.end();
  }
}, 120_000);

describe('pipeline through a broker restart', () => {
  it(`applies each of ${EVENTS} events exactly once, in stream order, while Kafka stops and starts`, async (context) => {
    if (!(await isManagedByScript('kafka'))) {
      if (process.env.CI === 'true') throw new Error('under CI the broker must be started by scripts/services (it is restarted here)');
      context.skip(); // KAFKA_BROKERS points at a broker scripts/services cannot restart
      return;
    }
    const db = pool as pg.Pool;
    const users = freshName('user.created');
    const registrations = freshName('registration.created');
    janitor.track(users, registrations, `${users}.dlq`, `${registrations}.dlq`);
    const relaySide = await testTransport({ clientId: 'eventfold-test-relay' });
    const consumerSide = await testTransport({ clientId: 'eventfold-test-consumer', consumer: { partitionsConsumedConcurrently: 6 } });
    transports.push(relaySide, consumerSide);
    await relaySide.ensureTopics(
      [
        { topic: users, partitions: 3 },
        { topic: registrations, partitions: 3 },
      ],
      { deadLetters: true },
    );

    const store = pipelineStore(db, schema);
    const events = scenarioEvents(EVENTS, STREAMS);
    const name = 'restart-consumer';
    const inbox = pipelineInbox(db, schema);
    let deliveries = 0;
    const errors: unknown[] = [];
    const projector = consumer({
      transport: consumerSide,
      name,
      group: freshName('group'),
      topics: [users, registrations],
      inbox,
      retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 1_000 },
      decode: (message) => {
        deliveries++;
        return messageToEvent(message);
      },
      handle: (event) => inbox.applyEffect(name, event),
      onError: (error) => errors.push(error),
    });
    const outbox = relay({
      store,
      transport: relaySide,
      routes: { user: users, registration: registrations },
      batchSize: 500,
      pollIntervalMs: 50,
      onError: (error) => errors.push(error),
    });
    const started = Date.now();
    await projector.start();
    outbox.start();
    // Appends keep coming while the broker is down: about 1,000 events a second.
    const appending = (async () => {
      for (let start = 0; start < events.length; start += 100) {
        await appendScenario(store, events.slice(start, start + 100), 100);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await waitFor('a quarter of the effects are applied', 120_000, async () => (await effectCount(db, schema, name)) >= EVENTS / 4);
    const appliedBeforeStop = await effectCount(db, schema, name);
    const stopAt = Date.now();
    await servicesScript(['stop', 'kafka']);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await servicesScript(['start', 'kafka']);
    const downMs = Date.now() - stopAt;

    await appending;
    await waitFor(`all ${EVENTS} effects are applied`, 300_000, async () => (await effectCount(db, schema, name)) >= EVENTS);
    await waitFor('the relay has caught up', 60_000, async () => (await outbox.lag()) === 0n);
    const totalMs = Date.now() - started;
    await outbox.stop();
    // Give redeliveries in flight a moment to show up as skips rather than be missed.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const stats = projector.stats();
    await projector.stop();
    await store.close();

    const summary = await summarise(
      db,
      schema,
      name,
      events.map(({ event }) => event.id as string),
    );
    const published = await messagesIn([users, registrations]);
    console.info(
      `[broker restart] ${EVENTS} events, ${STREAMS} streams: ${appliedBeforeStop} applied before the stop, broker down ${downMs} ms, ` +
        `all applied after ${totalMs} ms; messages in Kafka ${published}; deliveries ${deliveries}, inbox skips ${summary.skips}, processed ${summary.processed}, ` +
        `effects ${summary.effects}, doubled ${summary.doubled}, consumer stats ${JSON.stringify(stats)}, errors seen ${errors.length}`,
    );
    expect(published).toBeGreaterThanOrEqual(EVENTS);
    expect(summary.missing).toEqual([]);
    expect(summary.effects).toBe(EVENTS);
    expect(summary.doubled).toBe(0);
    expect(summary.processed).toBe(EVENTS);
    expect(summary.outOfOrder).toEqual([]);
    expect(stats.handled).toBe(EVENTS);
    expect(stats.deadLettered).toBe(0);
    expect(deliveries - stats.duplicates).toBe(EVENTS);
    expect(stats.duplicates).toBe(summary.skips);
  }, 600_000);
});
