import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConcurrencyError, isConcurrencyError } from '../../errors.js';
import type { NewEvent, RecordedEvent } from '../../event.js';
import type { AppendResult, EventStore, ExpectedVersion } from '../../event-store.js';
import type { Position } from '../../position.js';
import { someEvents } from './append-laws.js';
import {
  type ConformanceContext,
  expectContiguous,
  expectStoreOrder,
  inNamespace,
  namespace,
  readAllPages,
  satisfies,
  sleep,
} from './conformance-context.js';

/** Asserts what every acknowledged append must leave behind: each stream contiguous, every acknowledged event stored once, nothing else. */
async function expectExactlyAcknowledged(
  store: EventStore,
  ns: string,
  head: Position,
  streamIds: readonly string[],
  acknowledged: readonly AppendResult[],
): Promise<void> {
  const expectedIds = new Set(acknowledged.flatMap((result) => result.events.map((event) => event.id)));
  const byId = new Map(acknowledged.flatMap((result) => result.events.map((event) => [event.id, event] as const)));
  let stored = 0;
  for (const streamId of streamIds) {
    const events = await store.readStream(streamId);
    expectContiguous(events, streamId);
    for (const event of events) {
      expect(expectedIds.has(event.id), `event ${event.id} in ${streamId} was never acknowledged`).toBe(true);
      expect(event).toEqual(byId.get(event.id));
    }
    stored += events.length;
  }
  expect(stored, 'acknowledged events lost or duplicated').toBe(expectedIds.size);
  const all = inNamespace(await readAllPages(store, { after: head }), ns);
  expectStoreOrder(all);
  expect(all.map((event) => event.id).sort()).toEqual([...expectedIds].sort());
}

export function describeConcurrencyLaws(context: ConformanceContext): void {
  const { timeoutMs, concurrency } = context.options;

  describe(`concurrent writers (${concurrency} at a time)`, () => {
    it(
      'writers racing on one stream with the same expected version: exactly one wins each version, the others get ConcurrencyError',
      async () => {
        const store = context.store();
        const ns = namespace();
        const streamId = `${ns}-1`;
        const head = await store.headPosition();
        const winners: AppendResult[] = [];
        let version = 0;
        for (let round = 0; round < 5; round++) {
          const attempts = Array.from({ length: concurrency }, (_, writer) => someEvents((writer % 3) + 1));
          const outcomes = await Promise.allSettled(attempts.map((events) => store.append(streamId, events, { expectedVersion: version })));
          const won = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
          expect(won, `round ${round}: winners`).toHaveLength(1);
          const winner = won[0] as AppendResult;
          expect((winner.events[0] as RecordedEvent).version).toBe(version + 1);
          for (const outcome of outcomes) {
            if (outcome.status === 'fulfilled') continue;
            expect(isConcurrencyError(outcome.reason), `a loser failed with ${String(outcome.reason)}`).toBe(true);
            const error = outcome.reason as ConcurrencyError;
            expect(error.streamId).toBe(streamId);
            expect(error.expected).toBe(version);
            expect(error.actual).not.toBe(version);
          }
          winners.push(winner);
          version = winner.version;
        }
        await expectExactlyAcknowledged(store, ns, head, [streamId], winners);
      },
      timeoutMs,
    );

    it(
      'writers that retry on ConcurrencyError with the reported actual version all get their batches in, contiguous',
      async () => {
        const store = context.store();
        const ns = namespace();
        const streamId = `${ns}-1`;
        const head = await store.headPosition();
        const batchesPerWriter = 3;
        const writers = Array.from({ length: concurrency }, async (_, writer) => {
          const results: AppendResult[] = [];
          let expectedVersion = 0;
          for (let batch = 0; batch < batchesPerWriter; batch++) {
            const events = someEvents((writer % 2) + 1);
            for (let attempt = 0; ; attempt++) {
              expect(attempt, 'a writer starved').toBeLessThan(10_000);
              try {
                const result = await store.append(streamId, events, { expectedVersion });
                results.push(result);
                expectedVersion = result.version;
                break;
              } catch (error) {
                if (!isConcurrencyError(error)) throw error;
                expectedVersion = error.actual;
              }
            }
          }
          return results;
        });
        const acknowledged = (await Promise.all(writers)).flat();
        for (const result of acknowledged) {
          const versions = result.events.map((event) => event.version);
          expect(versions).toEqual(versions.map((_, index) => result.version - versions.length + 1 + index));
        }
        await expectExactlyAcknowledged(store, ns, head, [streamId], acknowledged);
      },
      timeoutMs,
    );

    it(
      "writers appending to one stream with expectedVersion 'any' all succeed, contiguous, without duplicates",
      async () => {
        const store = context.store();
        const ns = namespace();
        const streamId = `${ns}-1`;
        const head = await store.headPosition();
        const results = await Promise.all(
          Array.from({ length: concurrency * 3 }, (_, writer) =>
            store.append(streamId, someEvents((writer % 3) + 1), { expectedVersion: 'any' }),
          ),
        );
        const versions = results.flatMap((result) => result.events.map((event) => event.version)).sort((x, y) => x - y);
        expect(versions).toEqual(versions.map((_, index) => index + 1));
        for (const result of results) {
          const first = (result.events[0] as RecordedEvent).version;
          expect(result.events.map((event) => event.version)).toEqual(result.events.map((_, index) => first + index));
        }
        await expectExactlyAcknowledged(store, ns, head, [streamId], results);
      },
      timeoutMs,
    );

    it(
      'writers appending to many streams at once: every stream contiguous, readAll holds every event once',
      async () => {
        const store = context.store();
        const ns = namespace();
        const head = await store.headPosition();
        const streamIds = Array.from({ length: concurrency * 2 }, (_, index) => `${ns}-${index}`);
        const perStream = await Promise.all(
          streamIds.map(async (streamId, index) => {
            const results = [await store.append(streamId, someEvents((index % 3) + 1), { expectedVersion: 'no-stream' })];
            for (let round = 0; round < 3; round++) {
              const last = results[results.length - 1] as AppendResult;
              results.push(await store.append(streamId, someEvents(1 + (round % 2)), { expectedVersion: last.version }));
            }
            return results;
          }),
        );
        await expectExactlyAcknowledged(store, ns, head, streamIds, perStream.flat());
      },
      timeoutMs,
    );

    it(
      'law: concurrent writers with random batches and expected versions never lose, duplicate or reorder an acknowledged event; a reader resuming from its last position sees each exactly once',
      async () => {
        const store = context.store();
        type Kind = 'any' | 'no-stream' | 'exists' | 'read-then-exact' | 'guess';
        const operation = fc.record({
          stream: fc.nat({ max: 2 }),
          size: fc.integer({ min: 1, max: 3 }),
          kind: fc.constantFrom<Kind>('any', 'no-stream', 'exists', 'read-then-exact', 'read-then-exact', 'guess'),
          guess: fc.nat({ max: 6 }),
          retryPrevious: fc.boolean(),
        });
        const writers = fc.array(fc.array(operation, { minLength: 1, maxLength: 4 }), {
          minLength: 2,
          maxLength: Math.max(2, concurrency),
        });
        const pageSize = fc.integer({ min: 1, max: 4 });

        await fc.assert(
          fc.asyncProperty(writers, pageSize, async (plans, limit) => {
            const ns = namespace();
            const streamIds = [0, 1, 2].map((index) => `${ns}-${index}`);
            const head = await store.headPosition();
            let writing = true;

            // A subscriber polling while the writers run, resuming after the last position it saw.
            const reader = (async () => {
              const seen: RecordedEvent[] = [];
              let cursor = head;
              for (;;) {
                const done = !writing;
                const page = await store.readAll({ after: cursor, categories: [ns], limit });
                expect(page.length).toBeLessThanOrEqual(limit);
                for (const event of page) {
                  expect(event.position > cursor).toBe(true);
                  cursor = event.position;
                  seen.push(event);
                }
                if (page.length === 0) {
                  if (done) return seen;
                  await sleep(0);
                }
              }
            })();

            const acknowledged: AppendResult[] = [];
            const written = Promise.all(
              plans.map(async (plan) => {
                let previous: { streamId: string; events: NewEvent[]; result: AppendResult } | undefined;
                for (const step of plan) {
                  if (step.retryPrevious && previous !== undefined) {
                    // A writer that lost the answer retries with the same ids: it must get the original result back.
                    expect(await store.append(previous.streamId, previous.events, { expectedVersion: 'no-stream' })).toEqual(
                      previous.result,
                    );
                  }
                  const streamId = streamIds[step.stream] as string;
                  let expected: ExpectedVersion;
                  if (step.kind === 'read-then-exact') {
                    const [last] = await store.readStream(streamId, { direction: 'backward', limit: 1 });
                    expected = last?.version ?? 0;
                  } else {
                    expected = step.kind === 'guess' ? step.guess : step.kind;
                  }
                  const events = someEvents(step.size);
                  try {
                    const result = await store.append(streamId, events, { expectedVersion: expected });
                    const before = result.version - step.size;
                    expect(satisfies(expected, before), `acknowledged with expectedVersion ${expected} at version ${before}`).toBe(true);
                    expect(result.events.map((event) => event.id)).toEqual(events.map((event) => event.id));
                    acknowledged.push(result);
                    previous = { streamId, events, result };
                  } catch (error) {
                    expect(isConcurrencyError(error), `unexpected ${String(error)}`).toBe(true);
                    const conflict = error as ConcurrencyError;
                    expect([conflict.streamId, conflict.expected]).toEqual([streamId, expected]);
                    expect(satisfies(expected, conflict.actual), `rejected though actual ${conflict.actual} satisfies ${expected}`).toBe(
                      false,
                    );
                  }
                }
              }),
            ).finally(() => {
              writing = false;
            });
            // Awaited together, so a failing reader is reported even when a writer fails first.
            const [, seen] = await Promise.all([written, reader]);
            await expectExactlyAcknowledged(store, ns, head, streamIds, acknowledged);
            expectStoreOrder(seen);
            const byId = new Map(acknowledged.flatMap((result) => result.events.map((event) => [event.id, event] as const)));
            expect(seen.length, 'the polling reader missed or repeated events').toBe(byId.size);
            for (const event of seen) expect(event).toEqual(byId.get(event.id));
          }),
          context.fcParameters('concurrency'),
        );
      },
      timeoutMs,
    );
  });
}
