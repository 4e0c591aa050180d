import { isConcurrencyError, type RecordedEvent, uuidv7 } from '@eventfold/core';
import { type PostgresEventStore, positionParts, postgresEventStore } from '@eventfold/store-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, gate, requirePostgresUrl, setupOrFailEach, testPool, waitFor } from '../test/support.js';

// The gap-free readAll: events committed after a still-running appending transaction wait for it,
// and appear, in position order and nothing skipped, once it commits.

const schema = freshSchema('ordering');
let pool: pg.Pool;
let store: PostgresEventStore;
let url: string;

setupOrFailEach(async () => {
  url = await requirePostgresUrl();
  pool = await testPool({ max: 12 });
  store = postgresEventStore({ pool, schema });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  await pool?.end();
  await dropSchema(schema);
});

const ns = () => `o${uuidv7().replaceAll('-', '').slice(-12)}`;
const one = (label: string) => [{ id: uuidv7(), type: 'item.created', data: { label } }];

/** Every event of namespace `prefix` readable after `after`, page by page as a subscriber reads. */
async function readAllOf(prefix: string, after: bigint): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let cursor = after; ; ) {
    const page = await store.readAll({ after: cursor, limit: 100 });
    if (page.length === 0) return events;
    for (const event of page) {
      expect(event.position > cursor).toBe(true);
      cursor = event.position;
      if (event.streamId.startsWith(prefix)) events.push(event);
    }
  }
}

async function rawClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('readAll past a running transaction', () => {
  it('hides a later commit while an earlier appending transaction is open, then returns both in order', async () => {
    const prefix = ns();
    const head = await store.headPosition();
    const holding = gate();
    const appended = gate();
    let early: RecordedEvent[] = [];
    let pid = 0;
    const open = store.transaction(async (tx) => {
      pid = Number((await tx.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid);
      early = [...(await tx.append(`${prefix}-early`, one('early'))).events];
      appended.open();
      await holding.promise;
    });
    await appended.promise;

    const late = await store.append(`${prefix}-late`, one('late'));
    const earlyEvent = early[0] as RecordedEvent;
    expect(late.position > earlyEvent.position, 'the later transaction has the larger position').toBe(true);

    // Neither the open transaction's event (uncommitted) nor the later one (past the open one) is readable.
    expect(await readAllOf(prefix, head)).toEqual([]);
    expect(await store.headPosition()).toBeLessThan(earlyEvent.position);
    const lag = await store.visibilityLag();
    expect(lag.hiddenEvents).toBeGreaterThanOrEqual(1);
    expect(lag.newestPosition >= late.position).toBe(true);
    expect(lag.visiblePosition < earlyEvent.position).toBe(true);
    const blockers = await store.visibilityBlockers();
    const blocker = blockers.find((candidate) => candidate.pid === pid);
    expect(
      blocker,
      `blockers: ${JSON.stringify(blockers, (_, value) => (typeof value === 'bigint' ? String(value) : value))}`,
    ).toBeDefined();
    expect(blocker?.transactionId).toBe(positionParts(earlyEvent.position).transactionId);
    expect(blocker?.state).toBe('idle in transaction');
    expect(blocker?.transactionAgeMs).toBeGreaterThanOrEqual(0);

    holding.open();
    await open;
    expect(await readAllOf(prefix, head)).toEqual([earlyEvent, ...late.events]);
    expect((await store.visibilityLag()).hiddenEvents).toBe(0);
  });

  it('does the same for an append made with raw SQL inside BEGIN on another connection', async () => {
    const prefix = ns();
    const head = await store.headPosition();
    const client = await rawClient();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `select r_position::text as position from "${schema}".append_events($1, -1, $2, $3, $4, $5, $6)`,
        [`${prefix}-raw`, [uuidv7()], ['item.created'], '[{"raw":true}]', '[{}]', [1]],
      );
      const rawPosition = BigInt(rows[0].position);
      const late = await store.append(`${prefix}-late`, one('late'));
      expect(late.position > rawPosition).toBe(true);
      expect(await readAllOf(prefix, head)).toEqual([]);
      await client.query('commit');
      const read = await readAllOf(prefix, head);
      expect(read.map((event) => [event.streamId, event.position])).toEqual([
        [`${prefix}-raw`, rawPosition],
        [`${prefix}-late`, late.position],
      ]);
    } finally {
      await client.end();
    }
  });

  it('is not held back by a transaction that never appends (another application, autovacuum)', async () => {
    const prefix = ns();
    const head = await store.headPosition();
    const client = await rawClient();
    try {
      await client.query('begin');
      await client.query('create temporary table unrelated_write (id int)');
      await client.query('insert into unrelated_write values (1)');
      const { rows } = await client.query('select pg_current_xact_id_if_assigned()::text as xid');
      expect(rows[0].xid).not.toBeNull();
      const appended = await store.append(`${prefix}-1`, one('visible'));
      expect(await readAllOf(prefix, head)).toEqual(appended.events);
      expect(await store.visibilityBlockers()).toEqual([]);
      await client.query('rollback');
    } finally {
      await client.end();
    }
  });

  it('a subscriber polling while transactions commit out of order sees every event once, in position order', async () => {
    const prefix = ns();
    const head = await store.headPosition();
    const writers = 8;
    const perWriter = 6;
    let writing = true;
    const seen: RecordedEvent[] = [];
    const reader = (async () => {
      let cursor = head;
      for (;;) {
        const done = !writing;
        const page = await store.readAll({ after: cursor, limit: 3 });
        for (const event of page) {
          expect(event.position > cursor).toBe(true);
          cursor = event.position;
          if (event.streamId.startsWith(prefix)) seen.push(event);
        }
        if (done && page.length === 0) return;
      }
    })();
    const acknowledged = (
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          const results: RecordedEvent[] = [];
          for (let round = 0; round < perWriter; round++) {
            // Transactions of different lengths, so later transaction ids often commit first.
            const events = await store.transaction(async (tx) => {
              const result = await tx.append(`${prefix}-${writer}`, one(`${writer}/${round}`));
              await new Promise((resolve) => setTimeout(resolve, ((writer * 7 + round * 3) % 5) * 4));
              return result.events;
            });
            results.push(...events);
          }
          return results;
        }),
      ).finally(() => {
        writing = false;
      })
    ).flat();
    await reader;
    expect(seen.map((event) => event.id).sort()).toEqual(acknowledged.map((event) => event.id).sort());
    expect(seen).toEqual([...acknowledged].sort((a, b) => (a.position < b.position ? -1 : 1)));
  });
});

describe('positions', () => {
  it('encode the transaction id and an index that a second append in the same transaction continues', async () => {
    const prefix = ns();
    const [first, second] = await store.transaction(async (tx) => [
      await tx.append(`${prefix}-a`, [...one('1'), ...one('2')]),
      await tx.append(`${prefix}-b`, one('3')),
    ]);
    const positions = [...(first?.events ?? []), ...(second?.events ?? [])].map((event) => positionParts(event.position));
    const transactionId = positions[0]?.transactionId;
    expect(positions).toEqual([
      { transactionId, index: 0 },
      { transactionId, index: 1 },
      { transactionId, index: 2 },
    ]);
    const client = await rawClient();
    try {
      const { rows } = await client.query(`select (position >> 20)::text as xid from "${schema}".events where stream_id = $1`, [
        `${prefix}-b`,
      ]);
      expect(BigInt(rows[0].xid)).toBe(transactionId);
    } finally {
      await client.end();
    }
  });

  it('a transaction that got its id before a later append to the same stream committed cannot append there', async () => {
    const prefix = ns();
    const stream = `${prefix}-1`;
    await store.append(stream, one('first'));
    const wrote = gate();
    const proceed = gate();
    const open = store.transaction(async (tx) => {
      await tx.checkpoints.put(`${prefix}-cp`, 1n); // gets the transaction its id
      wrote.open();
      await proceed.promise;
      return tx.append(stream, one('stale'), { expectedVersion: 'any' });
    });
    await wrote.promise;
    await store.append(stream, one('second'));
    proceed.open();
    const error = await open.catch((caught: unknown) => caught);
    expect(isConcurrencyError(error), String(error)).toBe(true);
    expect((await store.readStream(stream)).map((event) => event.version)).toEqual([1, 2]);
    expect(await store.checkpoints.get(`${prefix}-cp`)).toBeUndefined();
  });

  it('raw SQL that writes before its first append is refused; begin_appends() first makes it work', async () => {
    const prefix = ns();
    const client = await rawClient();
    const append = () =>
      client.query(`select * from "${schema}".append_events($1, -1, $2, $3, '[{}]', '[{}]', $4)`, [
        `${prefix}-1`,
        [uuidv7()],
        ['item.created'],
        [1],
      ]);
    try {
      await client.query('begin');
      await client.query(`insert into "${schema}".checkpoints (name, position) values ($1, 1)`, [`${prefix}-cp`]);
      const refused = await append().catch((error: unknown) => error);
      expect((refused as { code?: string }).code).toBe('ZE006');
      await client.query('rollback');

      await client.query(`begin; select "${schema}".begin_appends()`);
      await client.query(`insert into "${schema}".checkpoints (name, position) values ($1, 1)`, [`${prefix}-cp`]);
      await append();
      await client.query('commit');
      expect(await store.readStream(`${prefix}-1`)).toHaveLength(1);
    } finally {
      await client.end();
    }
    await waitFor(async () => (await store.visibilityLag()).hiddenEvents === 0, 5_000, 'the horizon to pass');
  });
});
