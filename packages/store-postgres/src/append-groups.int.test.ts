import { type AppendResult, isConcurrencyError, isDuplicateEventError, isValidationError, uuidv7 } from '@eventfold/core';
import { type PostgresEventStore, positionParts, postgresEventStore } from '@eventfold/store-postgres';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, gate, setupOrFailEach, testPool } from '../test/support.js';

// Group commit: with appendConcurrency 1, the first append of a burst goes alone and the others
// wait for it, then go as one statement and one transaction. Each must get the answer it would
// have had alone.

const schemas: string[] = [];
let pool: pg.Pool;

setupOrFailEach(async () => {
  pool = await testPool({ max: 8 });
});

afterAll(async () => {
  await pool?.end();
  for (const schema of schemas) await dropSchema(schema);
});

async function groupedStore(): Promise<PostgresEventStore> {
  const schema = freshSchema('groups');
  schemas.push(schema);
  const store = postgresEventStore({ pool, schema, appendConcurrency: 1 });
  await store.migrate();
  return store;
}

const event = (id = uuidv7()) => ({ id, type: 'item.added', data: { id } });
const transactionOf = (result: AppendResult) => positionParts(result.position).transactionId;

/** Starts every append in the same tick, so all but the first wait for the first to finish. */
function burst<T>(calls: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(calls.map((call) => call()));
}

describe('appends that wait go as one group', () => {
  it('writes a burst of appends to distinct streams in one transaction after the first', async () => {
    const store = await groupedStore();
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => store.append(`item-${index}`, [event(), event()], { expectedVersion: 'no-stream' })),
      );
      const transactions = new Set(results.map(transactionOf));
      expect(transactions.size).toBe(2);
      expect(results.map((result) => result.version)).toEqual(Array.from({ length: 20 }, () => 2));
      // Each append's events are contiguous, and the group's appends do not overlap.
      const positions = results.flatMap((result) => result.events.map((recorded) => recorded.position));
      expect(new Set(positions).size).toBe(40);
      for (const result of results) {
        expect(result.events[1]?.position).toBe((result.events[0]?.position as bigint) + 1n);
        expect(await store.readStream(result.streamId)).toEqual(result.events);
      }
      const all = await store.readAll({ limit: 100 });
      expect(all.map((recorded) => recorded.position)).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    } finally {
      await store.close();
    }
  });

  it('answers each append of a group on its own: written, ConcurrencyError, invalid input', async () => {
    const store = await groupedStore();
    try {
      await store.append('existing', [event(), event()]);
      const outcomes = await burst<AppendResult>([
        () => store.append('first', [event()]),
        () => store.append('fresh', [event()], { expectedVersion: 'no-stream' }),
        () => store.append('existing', [event()], { expectedVersion: 1 }),
        () => store.append('existing-2', [event()], { expectedVersion: 'exists' }),
        () => store.append('', [event()]),
        () => store.append('fresh-2', [event(), event(), event()], { expectedVersion: 0 }),
      ]);
      const [first, fresh, stale, missing, invalid, fresh2] = outcomes;
      expect(first?.status).toBe('fulfilled');
      expect(fresh?.status === 'fulfilled' && fresh.value.version).toBe(1);
      expect(stale?.status === 'rejected' && isConcurrencyError(stale.reason) && stale.reason.actual).toBe(2);
      expect(missing?.status === 'rejected' && isConcurrencyError(missing.reason) && missing.reason.actual).toBe(0);
      expect(invalid?.status === 'rejected' && isValidationError(invalid.reason)).toBe(true);
      expect(fresh2?.status === 'fulfilled' && fresh2.value.version).toBe(3);
      expect(
        fresh?.status === 'fulfilled' && fresh2?.status === 'fulfilled' && transactionOf(fresh.value) === transactionOf(fresh2.value),
      ).toBe(true);
      expect((await store.readStream('existing')).length).toBe(2);
      expect(await store.readStream('existing-2')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('runs each append alone when the group hits a unique index: repeats answered, a duplicate id refused, the rest written', async () => {
    const store = await groupedStore();
    try {
      const original = await store.append('repeated', [event(), event()], { expectedVersion: 'no-stream' });
      const resent = original.events.map(({ id, type, data }) => ({ id, type, data }));
      const shared = uuidv7();
      const outcomes = await burst<AppendResult>([
        () => store.append('first', [event()]),
        () => store.append('repeated', resent, { expectedVersion: 'no-stream' }),
        () => store.append('one', [event(shared)]),
        () => store.append('two', [event(shared)]),
        () => store.append('plain', [event()]),
      ]);
      const [first, repeat, one, two, plain] = outcomes;
      expect(first?.status).toBe('fulfilled');
      expect(repeat?.status === 'fulfilled' && repeat.value).toEqual(original);
      // The two appends of one id: exactly one wins, the other is refused.
      const sharedOutcomes = [one, two];
      expect(sharedOutcomes.filter((outcome) => outcome?.status === 'fulfilled')).toHaveLength(1);
      expect(sharedOutcomes.filter((outcome) => outcome?.status === 'rejected' && isDuplicateEventError(outcome.reason))).toHaveLength(1);
      expect(plain?.status === 'fulfilled' && plain.value.version).toBe(1);
      expect((await store.readStream('repeated')).length).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('sends appends racing on one stream at once, each on its own: every one written once', async () => {
    const store = await groupedStore();
    try {
      const results = await Promise.all(Array.from({ length: 6 }, (_, index) => store.append('raced', [{ type: 'n', data: { index } }])));
      expect(results.map((result) => result.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      const stored = await store.readStream('raced');
      expect(stored.map((recorded) => (recorded.data as { index: number }).index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(new Set(results.map(transactionOf)).size).toBe(6);
    } finally {
      await store.close();
    }
  });

  it("calls this process's onAppend listeners when a group commits, before its appends resolve", async () => {
    const store = await groupedStore();
    try {
      await store.append('before', [event()]);
      let calls = 0;
      const stop = store.onAppend(() => {
        calls++;
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // the LISTEN connection's own call
      const before = calls;
      const [, grouped] = await Promise.all([
        store.append('first', [event()]),
        Promise.all([1, 2, 3].map((index) => store.append(`heard-${index}`, [event()]))),
      ]);
      // Counted before the NOTIFY's round trip could be back: the group's commit called them.
      expect(calls).toBeGreaterThan(before);
      expect(new Set(grouped.map(transactionOf)).size).toBe(1);
      stop();
    } finally {
      await store.close();
    }
  });

  it("does not let an append waiting for a stream's lock hold up the appends behind it", async () => {
    const store = await groupedStore();
    try {
      const release = gate();
      const appended = gate();
      const holder = store.transaction(async (tx) => {
        await tx.append('locked', [event()]);
        appended.open();
        await release.promise;
      });
      await appended.promise;
      const blocked = store.append('locked', [event()]);
      // With one slot, these would wait behind the blocked append if it kept its slot.
      const others = await Promise.all(Array.from({ length: 4 }, (_, index) => store.append(`free-${index}`, [event()])));
      expect(others.map((result) => result.version)).toEqual([1, 1, 1, 1]);
      release.open();
      await holder;
      expect((await blocked).version).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('refuses an appendConcurrency that is not a positive integer or Infinity', () => {
    for (const appendConcurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() => postgresEventStore({ pool, schema: 'unused', appendConcurrency })).toThrow(/appendConcurrency/);
    }
  });
});
