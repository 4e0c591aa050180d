import {
  consumer,
  DeadLetterHeaders,
  type IncomingMessage,
  inMemoryEventStore,
  MessageHeaders,
  messageToEvent,
  relay,
  replayDeadLetters,
} from '@eventfold/core';
import type { KafkaTransport } from '@eventfold/transport-kafka';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendScenario,
  createPipelineSchema,
  dropPipelineSchema,
  freshSchema,
  pipelineInbox,
  pipelinePool,
  scenarioEvents,
  summarise,
} from '../test/pipeline.js';
import {
  freshName,
  requireKafkaBrokers,
  requirePostgresUrl,
  setupOrFailEach,
  testTransport,
  topicJanitor,
  waitFor,
} from '../test/support.js';

// Failure test 4: a poison message goes to `<topic>.dlq` after the configured retries (a message
// that cannot even be decoded goes there at once), the messages behind it on its partition are
// processed, and replaying the dead letters after the fix applies the poison message exactly once.

const schema = freshSchema('poison');
const janitor = topicJanitor();
const transports: KafkaTransport[] = [];
let pool: pg.Pool | undefined;

setupOrFailEach(async () => {
  await requireKafkaBrokers();
  pool = pipelinePool(await requirePostgresUrl(), 6);
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

describe('poison messages', () => {
  it('dead-letters after the retries, keeps the partition moving, and applies the message once when replayed after the fix', async () => {
    const db = pool as pg.Pool;
    const topic = freshName('user.created');
    const deadLetterTopic = `${topic}.dlq`;
    janitor.track(topic, deadLetterTopic);
    const transport = await testTransport();
    transports.push(transport);
    // Only the source topic is created here: the consumer's first dead letter creates the DLQ, with the same 3 partitions.
    await transport.ensureTopics([{ topic, partitions: 3 }]);

    const store = inMemoryEventStore();
    const events = scenarioEvents(240, 12).filter(({ streamId }) => streamId.startsWith('user-'));
    await appendScenario(store, events, 6);
    const poison = events.find(({ streamId, event }) => streamId === 'user-s2' && (event.data as { index: number }).index === 26);
    expect(poison).toBeDefined();
    const poisonId = poison?.event.id as string;

    const name = 'poison-consumer';
    const inbox = pipelineInbox(db, schema);
    let fixed = false;
    let poisonAttempts = 0;
    const projector = consumer({
      transport,
      name,
      group: freshName('group'),
      topics: [topic],
      inbox,
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
      handle: async (event) => {
        if (event.id === poisonId) {
          poisonAttempts++;
          if (!fixed) throw new Error(`cannot handle event ${event.id} (a bug)`);
        }
        await inbox.applyEffect(name, event);
      },
    });
    await projector.start();
    await relay({ store, transport, routes: { user: topic } }).runOnce();
    // And one message that is not an event at all: it cannot be decoded, so no retry can help.
    await transport.publish(topic, [{ key: 'user-s2', value: 'not an event', headers: { 'x-note': 'garbage' } }]);

    const others = events.filter(({ event }) => event.id !== poisonId).map(({ event }) => event.id as string);
    await waitFor('every other event took effect', 60_000, async () => (await summarise(db, schema, name, others)).missing.length === 0);
    await waitFor('both dead letters were sent', 30_000, () => projector.stats().deadLettered === 2);

    const deadLetters: IncomingMessage[] = [];
    const reader = await transport.subscribe({
      group: freshName('dlq-reader'),
      topics: [deadLetterTopic],
      handler: async (batch) => void deadLetters.push(...batch),
    });
    await waitFor('the dead letters can be read', 30_000, () => deadLetters.length === 2);
    await reader.close();
    const [poisonLetter, garbageLetter] = [
      deadLetters.find((letter) => letter.headers[MessageHeaders.eventId] === poisonId),
      deadLetters.find((letter) => letter.headers['x-note'] === 'garbage'),
    ];
    expect(poisonLetter?.key).toBe('user-s2');
    expect(poisonLetter?.headers).toMatchObject({
      [DeadLetterHeaders.attempts]: '3',
      [DeadLetterHeaders.errorName]: 'Error',
      [DeadLetterHeaders.errorMessage]: `cannot handle event ${poisonId} (a bug)`,
      [DeadLetterHeaders.originalTopic]: topic,
      [DeadLetterHeaders.consumer]: name,
      [MessageHeaders.streamId]: 'user-s2',
    });
    expect(messageToEvent(poisonLetter as IncomingMessage).id).toBe(poisonId);
    expect(garbageLetter?.headers).toMatchObject({ [DeadLetterHeaders.attempts]: '1', [DeadLetterHeaders.errorCode]: 'VALIDATION' });
    expect(poisonAttempts).toBe(3);

    // Messages behind the poison on its partition went on: later events of the same stream took effect without it.
    const before = await summarise(db, schema, name, [poisonId]);
    expect(before.missing).toEqual([poisonId]);
    const sameStream = await db.query<{ version: number }>(
      `select version from ${schema}.effects where consumer = $1 and stream_id = 'user-s2' order by applied_seq`,
      [name],
    );
    const poisonVersion = Number(poisonLetter?.headers[MessageHeaders.streamVersion]);
    expect(sameStream.rows.some((row) => row.version > poisonVersion)).toBe(true);

    fixed = true;
    const onlyEvents = (letter: IncomingMessage) => letter.headers[MessageHeaders.eventId] !== undefined;
    const replay = await replayDeadLetters({ transport, topics: [deadLetterTopic], group: freshName('replay'), filter: onlyEvents });
    await waitFor(
      'the replayed event took effect',
      60_000,
      async () => (await summarise(db, schema, name, [poisonId])).missing.length === 0,
    );
    await waitFor('the replay is done', 30_000, async () => (await replay.lag()).every((partition) => partition.lag === 0));
    await replay.close();

    // Replaying the same dead letters again (another replay group) reaches the inbox as a repeat.
    const again = await replayDeadLetters({ transport, topics: [deadLetterTopic], group: freshName('replay'), filter: onlyEvents });
    await waitFor('the second replay was skipped by the inbox', 60_000, async () => (await summarise(db, schema, name, [])).skips >= 1);
    await again.close();
    const stats = projector.stats();
    await projector.stop();

    const summary = await summarise(
      db,
      schema,
      name,
      events.map(({ event }) => event.id as string),
    );
    console.info(
      `[poison] ${events.length} events; poison attempts ${poisonAttempts}; dead letters ${stats.deadLettered}; ` +
        `effects ${summary.effects}, doubled ${summary.doubled}, inbox skips ${summary.skips}; consumer stats ${JSON.stringify(stats)}`,
    );
    expect(summary.missing).toEqual([]);
    expect(summary.effects).toBe(events.length);
    expect(summary.doubled).toBe(0);
    expect(poisonAttempts).toBe(4);
    expect(stats.deadLettered).toBe(2);
  }, 180_000);
});
