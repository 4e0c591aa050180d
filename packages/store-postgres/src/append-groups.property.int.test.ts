import { type AppendResult, type ExpectedVersion, isConcurrencyError, isDuplicateEventError, type NewEvent, uuidv7 } from '@eventfold/core';
import { postgresEventStore } from '@eventfold/store-postgres';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { dropSchema, freshSchema, setupOrFailEach, testPool } from '../test/support.js';

// Law: an append that goes in a group gets the answer it would have had alone. Streams are
// distinct within a burst, so each answer depends only on its stream's state before the burst:
// written at the head + 1 when the expected version holds, a ConcurrencyError with the head
// otherwise, the original result for a repeat; and of two appends that share an event id, exactly
// one is written. The burst goes at once, with 1–3 slots, so most of it waits and is grouped.

const schema = freshSchema('groups_law');
let pool: pg.Pool;

setupOrFailEach(async () => {
  pool = await testPool({ max: 8 });
});

afterAll(async () => {
  await pool?.end();
  await dropSchema(schema);
});

type Expectation = 'any' | 'no-stream' | 'exists' | 'head' | 'head+1' | 'head-1';

interface StreamCase {
  /** Events already in the stream before the burst (appended alone, with 'no-stream'). */
  seeded: number;
  /** A resend of the seeded events, or new events. */
  repeat: boolean;
  events: number;
  expectation: Expectation;
}

const streamCase: fc.Arbitrary<StreamCase> = fc.record({
  seeded: fc.integer({ min: 0, max: 3 }),
  repeat: fc.boolean(),
  events: fc.integer({ min: 1, max: 3 }),
  expectation: fc.constantFrom<Expectation>('any', 'no-stream', 'exists', 'head', 'head+1', 'head-1'),
});

function expectedVersion(expectation: Expectation, head: number): ExpectedVersion {
  if (expectation === 'head') return head;
  if (expectation === 'head+1') return head + 1;
  if (expectation === 'head-1') return head > 0 ? head - 1 : head + 2;
  return expectation;
}

function holds(expected: ExpectedVersion, head: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no-stream') return head === 0;
  if (expected === 'exists') return head > 0;
  return expected === head;
}

const newEvents = (count: number): NewEvent[] =>
  Array.from({ length: count }, () => ({ id: uuidv7(), type: 'item.added', data: { id: uuidv7() } }));

let burstNumber = 0;

it('law: each append of a group is answered as if it had gone alone', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(streamCase, { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 3 }),
      async (cases, sharedIdPair, slots) => {
        const burst = burstNumber++;
        const store = postgresEventStore({ pool, schema, appendConcurrency: slots });
        try {
          const seeded = await Promise.all(
            cases.map(async (streamCase, index) =>
              streamCase.seeded === 0
                ? undefined
                : store.append(`b${burst}-s${index}`, newEvents(streamCase.seeded), { expectedVersion: 'no-stream' }),
            ),
          );
          const sharedId = uuidv7();
          const calls: Promise<AppendResult>[] = cases.map((streamCase, index) => {
            const original = seeded[index];
            const streamId = `b${burst}-s${index}`;
            if (streamCase.repeat && original !== undefined) {
              const resent = original.events.map(({ id, type, data }) => ({ id, type, data }));
              return store.append(streamId, resent, { expectedVersion: 'no-stream' });
            }
            return store.append(streamId, newEvents(streamCase.events), {
              expectedVersion: expectedVersion(streamCase.expectation, streamCase.seeded),
            });
          });
          if (sharedIdPair) {
            for (const side of ['x', 'y']) calls.push(store.append(`b${burst}-${side}`, [{ id: sharedId, type: 'item.added', data: {} }]));
          }
          const outcomes = await Promise.allSettled(calls);

          for (const [index, streamCase] of cases.entries()) {
            const outcome = outcomes[index] as PromiseSettledResult<AppendResult>;
            const original = seeded[index];
            const stored = await store.readStream(`b${burst}-s${index}`);
            if (streamCase.repeat && original !== undefined) {
              expect(outcome.status === 'fulfilled' && outcome.value).toEqual(original);
              expect(stored).toEqual(original.events);
              continue;
            }
            const expected = expectedVersion(streamCase.expectation, streamCase.seeded);
            if (holds(expected, streamCase.seeded)) {
              expect(outcome.status === 'fulfilled' && outcome.value.version).toBe(streamCase.seeded + streamCase.events);
              expect(stored.map((event) => event.version)).toEqual(
                Array.from({ length: streamCase.seeded + streamCase.events }, (_, v) => v + 1),
              );
              if (outcome.status === 'fulfilled') expect(stored.slice(streamCase.seeded)).toEqual(outcome.value.events);
            } else {
              expect(outcome.status === 'rejected' && isConcurrencyError(outcome.reason) && outcome.reason.actual).toBe(streamCase.seeded);
              expect(stored).toHaveLength(streamCase.seeded);
            }
          }
          if (sharedIdPair) {
            const pair = outcomes.slice(cases.length);
            expect(pair.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
            expect(pair.filter((outcome) => outcome.status === 'rejected' && isDuplicateEventError(outcome.reason))).toHaveLength(1);
          }
        } finally {
          await store.close();
        }
      },
    ),
    { numRuns: 60 },
  );
}, 120_000);
