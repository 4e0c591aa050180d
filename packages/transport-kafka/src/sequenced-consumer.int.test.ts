import { DeadLetterHeaders, type EventStore, inMemoryEventStore, MessageHeaders, relay, replayDeadLetters } from '@eventfold/core';
import { type KafkaTransport, type SequencedConsumer, sequencedConsumer } from '@eventfold/transport-kafka';
import type pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createPipelineSchema,
  deterministicId,
  dropPipelineSchema,
  freshSchema,
  type PipelineInbox,
  pipelineInbox,
  pipelinePool,
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

// The sequenced consumer against the real broker: a dead letter parks its key's later messages
// (other keys flow), the parking survives a restart, a replay before the fix changes nothing, a
// replay after it applies the key's messages once and in order, and release() gives up on one.

const schema = freshSchema('sequenced');
const janitor = topicJanitor();
const transports: KafkaTransport[] = [];
const consumers: SequencedConsumer[] = [];
let pool: pg.Pool | undefined;

setupOrFailEach(async () => {
  await requireKafkaBrokers();
  pool = pipelinePool(await requirePostgresUrl(), 6);
  await createPipelineSchema(pool, schema);
});
afterEach(async () => {
  await Promise.allSettled(consumers.splice(0).map((running) => running.stop()));
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(transports.map((transport) => transport.close()));
  await janitor.cleanup().catch(() => undefined);
  if (pool !== undefined) {
    await dropPipelineSchema(pool, schema);
    await pool.end();
  }
}, 120_000);

/** A store with `streams` user streams of `versions` events each, ids numbered from `base`; returns the id of each (stream, version). */
async function seed(
  store: EventStore,
  streams: number,
  versions: number,
  base: number,
): Promise<(stream: number, version: number) => string> {
  const idOf = (stream: number, version: number) => deterministicId(base + stream * 1_000 + version);
  for (let version = 1; version <= versions; version++) {
    for (let stream = 0; stream < streams; stream++) {
      await store.append(`user-s${stream}`, [{ id: idOf(stream, version), type: 'user.happened', data: { stream, version } }]);
    }
  }
  return idOf;
}

async function appliedVersions(db: pg.Pool, name: string, streamId: string): Promise<number[]> {
  const result = await db.query<{ version: number }>(
    `select version from ${schema}.effects where consumer = $1 and stream_id = $2 order by applied_seq`,
    [name, streamId],
  );
  return result.rows.map((row) => row.version);
}

describe('sequencedConsumer', () => {
  it('parks a key behind its dead letter, across a restart, and releases it in order on replay after the fix', async () => {
    const db = pool as pg.Pool;
    const topic = freshName('user.created');
    const deadLetters = `${topic}.dlq`;
    janitor.track(topic, deadLetters);
    const transport = await testTransport();
    transports.push(transport);
    await transport.ensureTopics([{ topic, partitions: 3 }], { deadLetters: true });
    const store = inMemoryEventStore();
    const idOf = await seed(store, 6, 6, 0);
    const poisonId = idOf(1, 2);
    const outbox = relay({ store, transport, routes: { user: topic } });
    const name = 'sequenced';
    const group = freshName('group');
    const inbox: PipelineInbox = pipelineInbox(db, schema);
    let broken = true;
    const start = async () => {
      const running = sequencedConsumer({
        transport,
        name,
        group,
        topics: [topic],
        inbox,
        retry: { maxAttempts: 2, baseDelayMs: 10 },
        handle: async (event) => {
          if (broken && event.id === poisonId) throw new Error('bug');
          await inbox.applyEffect(name, event);
        },
      });
      consumers.push(running);
      await running.start();
      return running;
    };

    const first = await start();
    await outbox.runOnce();
    await waitFor('the other streams took effect', 60_000, async () => (await summarise(db, schema, name, [])).effects === 5 * 6 + 1);
    await waitFor('user-s1 v3..v6 are parked', 30_000, () => first.stats().parked === 4);
    expect(await appliedVersions(db, name, 'user-s1')).toEqual([1]);
    expect(first.stats().deadLettered).toBe(1);
    expect(first.blocked()).toEqual(new Map([['user-s1', [2, 3, 4, 5, 6].map((version) => idOf(1, version))]]));
    const letters = await transport.readTopic(deadLetters);
    expect(letters.map((letter) => [letter.headers[MessageHeaders.streamVersion], letter.headers[DeadLetterHeaders.errorName]])).toEqual([
      ['2', 'Error'],
      ['3', 'ParkedBehindDeadLetter'],
      ['4', 'ParkedBehindDeadLetter'],
      ['5', 'ParkedBehindDeadLetter'],
      ['6', 'ParkedBehindDeadLetter'],
    ]);
    await first.stop();

    // A new process: the parking is read back from the dead-letter topic and the inbox.
    await store.append('user-s1', [{ id: idOf(1, 7), type: 'user.happened', data: {} }]);
    await store.append('user-s0', [{ id: idOf(0, 7), type: 'user.happened', data: {} }]);
    const second = await start();
    await outbox.runOnce();
    await waitFor('user-s0 v7 took effect', 60_000, async () => (await appliedVersions(db, name, 'user-s0')).length === 7);
    await waitFor('user-s1 v7 is parked', 30_000, () => second.stats().parked === 1);
    expect(second.blocked().get('user-s1')).toEqual([2, 3, 4, 5, 6, 7].map((version) => idOf(1, version)));

    // Replayed before the fix: the poison fails again and everything behind it is parked again.
    // Only letters older than the replay: core's replay keeps running, and would otherwise replay
    // the new dead letters too, round and round, for as long as the bug is there.
    const earlyStart = Date.now();
    const early = await replayDeadLetters({
      transport,
      topics: [deadLetters],
      group: freshName('replay'),
      filter: (letter) => Date.parse(letter.headers[DeadLetterHeaders.lastFailureAt] ?? '') < earlyStart,
    });
    await waitFor('the early replay went round', 60_000, () => second.stats().deadLettered === 1 && second.stats().parked === 6);
    await waitFor('the early replay is done', 30_000, async () => (await early.lag()).every((partition) => partition.lag === 0));
    await early.close();
    expect(await appliedVersions(db, name, 'user-s1')).toEqual([1]);

    broken = false;
    const replay = await replayDeadLetters({ transport, topics: [deadLetters], group: freshName('replay') });
    await waitFor('user-s1 caught up', 60_000, async () => (await appliedVersions(db, name, 'user-s1')).length === 7);
    await waitFor('the replay is done', 30_000, async () => (await replay.lag()).every((partition) => partition.lag === 0));
    await replay.close();
    expect(await appliedVersions(db, name, 'user-s1')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(second.blocked()).toEqual(new Map());

    // Unblocked: the next event takes effect directly.
    await store.append('user-s1', [{ id: idOf(1, 8), type: 'user.happened', data: {} }]);
    const parkedBefore = second.stats().parked;
    await outbox.runOnce();
    await waitFor('user-s1 v8 took effect', 30_000, async () => (await appliedVersions(db, name, 'user-s1')).length === 8);
    expect(second.stats().parked).toBe(parkedBefore);

    const summary = await summarise(db, schema, name, []);
    console.info(
      `[sequenced] effects ${summary.effects}, doubled ${summary.doubled}, inbox skips ${summary.skips}, stats ${JSON.stringify(second.stats())}`,
    );
    expect(summary.doubled).toBe(0);
    expect(summary.outOfOrder).toEqual([]);
    expect(summary.effects).toBe(6 * 6 + 2 + 1);
  }, 180_000);

  it('release() gives up on a dead letter: replaying the rest applies them in order, without it', async () => {
    const db = pool as pg.Pool;
    const topic = freshName('user.created');
    const deadLetters = `${topic}.dlq`;
    janitor.track(topic, deadLetters);
    const transport = await testTransport();
    transports.push(transport);
    await transport.ensureTopics([{ topic, partitions: 3 }], { deadLetters: true });
    const store = inMemoryEventStore();
    const idOf = await seed(store, 3, 4, 100_000);
    const poisonId = idOf(2, 2);
    const name = 'sequenced-release';
    const inbox = pipelineInbox(db, schema);
    const running = sequencedConsumer({
      transport,
      name,
      group: freshName('group'),
      topics: [topic],
      inbox,
      retry: { maxAttempts: 1 },
      handle: async (event) => {
        if (event.id === poisonId) throw new Error('never works');
        await inbox.applyEffect(name, event);
      },
    });
    consumers.push(running);
    await running.start();
    await relay({ store, transport, routes: { user: topic } }).runOnce();
    await waitFor('v3, v4 of user-s2 are parked', 60_000, () => running.stats().parked === 2);

    await running.release('user-s2', poisonId);
    expect(running.blocked().get('user-s2')).toEqual([idOf(2, 3), idOf(2, 4)]);
    const replay = await replayDeadLetters({
      transport,
      topics: [deadLetters],
      group: freshName('replay'),
      filter: (letter) => letter.headers[MessageHeaders.eventId] !== poisonId,
    });
    await waitFor('user-s2 v3, v4 took effect', 60_000, async () => (await appliedVersions(db, name, 'user-s2')).length === 3);
    await replay.close();
    expect(await appliedVersions(db, name, 'user-s2')).toEqual([1, 3, 4]);
    expect(running.blocked()).toEqual(new Map());
  }, 120_000);
});
