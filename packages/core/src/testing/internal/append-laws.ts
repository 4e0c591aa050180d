import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConcurrencyError, isConcurrencyError } from '../../errors.js';
import type { NewEvent, RecordedEvent } from '../../event.js';
import type { AppendResult, ExpectedVersion } from '../../event-store.js';
import { MAX_STREAM_ID_LENGTH } from '../../stream-id.js';
import { newEvent } from './arbitraries.js';
import {
  asJson,
  type ConformanceContext,
  eventId,
  expectContiguous,
  expectEventfoldError,
  namespace,
  readAllPages,
  satisfies,
} from './conformance-context.js';

/** Builds `count` events with fresh ids. */
export function someEvents(count: number, type = 'item.created'): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ id: eventId(), type, data: { index } }));
}

/** Asserts that an append result describes exactly `events` appended to a stream that was at `before`. */
export function expectAppended(result: AppendResult, streamId: string, events: readonly NewEvent[], before: number): void {
  expect(result.streamId).toBe(streamId);
  expect(result.events).toHaveLength(events.length);
  expect(result.version).toBe(before + events.length);
  const last = result.events[result.events.length - 1] as RecordedEvent;
  expect(result.position).toBe(last.position);
  result.events.forEach((recorded, index) => {
    const sent = events[index] as NewEvent;
    if (sent.id !== undefined) expect(recorded.id).toBe(sent.id);
    expect(recorded.type).toBe(sent.type);
    expect(recorded.streamId).toBe(streamId);
    expect(recorded.version).toBe(before + index + 1);
    expect(recorded.schemaVersion).toBe(sent.schemaVersion ?? 1);
    expect(recorded.data).toEqual(asJson(sent.data));
    expect(recorded.metadata).toEqual(asJson(sent.metadata ?? {}));
    expect(typeof recorded.position).toBe('bigint');
    if (index > 0) expect(recorded.position > (result.events[index - 1] as RecordedEvent).position).toBe(true);
  });
}

/** Asserts that none of `ids` was written after `after` (each law writes under a fresh namespace and fresh ids). */
export async function expectNotWritten(context: ConformanceContext, after: bigint, ids: readonly (string | undefined)[]): Promise<void> {
  const wanted = new Set(ids.filter((id): id is string => id !== undefined));
  const written = (await readAllPages(context.store(), { after })).filter((event) => wanted.has(event.id));
  expect(written, 'a rejected append wrote events').toEqual([]);
}

export function describeAppendLaws(context: ConformanceContext): void {
  const { timeoutMs } = context.options;

  describe('append and read back', () => {
    it(
      'records ids, types, data, metadata, schema versions, versions from 1, increasing positions and recordedAt',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        const events: NewEvent[] = [
          {
            id: eventId(),
            type: 'item.created',
            data: { name: 'Ada', count: 1, nested: { list: [1, 'two', null, true, { deep: 2.5 }] } },
            metadata: {
              correlationId: 'corr-1',
              causationId: 'cause-1',
              traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
              tenant: 'acme',
              actor: 'user-7',
              custom: { tags: ['a', 'b'] },
            },
            schemaVersion: 3,
          },
          { type: 'item.renamed', data: 'a bare string' },
          { type: 'item.renamed', data: null, id: eventId() },
        ];
        const head = await store.headPosition();
        expect(typeof head).toBe('bigint');
        const result = await store.append(streamId, events, { expectedVersion: 'no-stream' });
        expectAppended(result, streamId, events, 0);

        const [first, second, third] = result.events as [RecordedEvent, RecordedEvent, RecordedEvent];
        expect(first.schemaVersion).toBe(3);
        expect(second.schemaVersion).toBe(1);
        expect(second.metadata).toEqual({});
        expect(typeof second.id).toBe('string');
        expect(second.id.length).toBeGreaterThan(0);
        expect(new Set([first.id, second.id, third.id]).size).toBe(3);
        expect(first.position > head).toBe(true);
        for (const event of result.events) {
          expect(event.recordedAt).toBeInstanceOf(Date);
          expect(Math.abs(event.recordedAt.getTime() - Date.now())).toBeLessThan(context.options.clockSkewMs);
        }

        expect(await store.readStream(streamId)).toEqual(result.events);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(result.position);

        const more = await store.append(streamId, someEvents(2), { expectedVersion: 3 });
        expect(more.events.map((event) => event.version)).toEqual([4, 5]);
        expect((more.events[0] as RecordedEvent).position > result.position).toBe(true);
        const all = await store.readStream(streamId);
        expectContiguous(all, streamId);
        expect(all).toEqual([...result.events, ...more.events]);
      },
      timeoutMs,
    );

    it(
      'keeps its own copy: changing the appended data and metadata afterwards changes nothing stored',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        const data = { name: 'Ada', tags: ['a'] };
        const metadata = { tenant: 'acme', extra: { level: 1 } };
        await store.append(streamId, [{ id: eventId(), type: 'item.created', data, metadata }]);
        data.name = 'changed';
        data.tags.push('b');
        metadata.extra.level = 2;
        const [read] = await store.readStream(streamId);
        expect(read?.data).toEqual({ name: 'Ada', tags: ['a'] });
        expect(read?.metadata).toEqual({ tenant: 'acme', extra: { level: 1 } });
      },
      timeoutMs,
    );

    it(
      'accepts event ids that are any non-empty string, not only UUIDs',
      async () => {
        const store = context.store();
        const ns = namespace();
        const ids = [`${ns}:order-42:created`, `${ns}/msg/1`];
        const result = await store.append(
          `${ns}-1`,
          ids.map((id) => ({ id, type: 'item.created', data: {} })),
        );
        expect(result.events.map((event) => event.id)).toEqual(ids);
        expect((await store.readStream(`${ns}-1`)).map((event) => event.id)).toEqual(ids);
      },
      timeoutMs,
    );

    it(
      `accepts a stream id of exactly ${MAX_STREAM_ID_LENGTH} characters`,
      async () => {
        const store = context.store();
        const ns = namespace();
        const streamId = `${ns}-`.padEnd(MAX_STREAM_ID_LENGTH, 'x');
        await store.append(streamId, someEvents(1));
        expect((await store.readStream(streamId)).map((event) => event.streamId)).toEqual([streamId]);
      },
      timeoutMs,
    );

    it(
      'law: append-then-read round-trips any batch of JSON data and metadata',
      async () => {
        const store = context.store();
        await fc.assert(
          fc.asyncProperty(fc.array(newEvent, { minLength: 1, maxLength: 4 }), fc.boolean(), async (batch, withIds) => {
            const streamId = `${namespace()}-1`;
            const events = withIds ? batch.map((event) => ({ ...event, id: eventId() })) : batch;
            const result = await store.append(streamId, events, { expectedVersion: 'no-stream' });
            expectAppended(result, streamId, events, 0);
            expect(await store.readStream(streamId)).toEqual(result.events);
          }),
          context.fcParameters('roundTrip'),
        );
      },
      timeoutMs,
    );
  });

  describe('expected versions', () => {
    // [expected, stream version before, outcome]
    const cases: readonly [ExpectedVersion, number, 'appends' | 'conflicts'][] = [
      ['any', 0, 'appends'],
      ['any', 2, 'appends'],
      ['no-stream', 0, 'appends'],
      ['no-stream', 2, 'conflicts'],
      ['exists', 2, 'appends'],
      ['exists', 0, 'conflicts'],
      [0, 0, 'appends'],
      [0, 2, 'conflicts'],
      [2, 2, 'appends'],
      [1, 2, 'conflicts'],
      [3, 2, 'conflicts'],
      [1, 0, 'conflicts'],
    ];
    for (const [expected, before, outcome] of cases) {
      const title =
        outcome === 'appends'
          ? `expectedVersion ${JSON.stringify(expected)} on a stream at version ${before} appends`
          : `expectedVersion ${JSON.stringify(expected)} on a stream at version ${before} throws ConcurrencyError and writes nothing`;
      it(
        title,
        async () => {
          const store = context.store();
          const streamId = `${namespace()}-1`;
          if (before > 0) await store.append(streamId, someEvents(before));
          const events = someEvents(2);
          const head = await store.headPosition();
          if (outcome === 'appends') {
            expectAppended(await store.append(streamId, events, { expectedVersion: expected }), streamId, events, before);
            expectContiguous(await store.readStream(streamId), streamId);
            return;
          }
          const error = (await expectEventfoldError(
            store.append(streamId, events, { expectedVersion: expected }),
            'CONCURRENCY',
          )) as ConcurrencyError;
          expect(isConcurrencyError(error)).toBe(true);
          expect(error.streamId).toBe(streamId);
          expect(error.expected).toBe(expected);
          expect(error.actual).toBe(before);
          expect(error.retryable).toBe(true);
          expect(await store.readStream(streamId)).toHaveLength(before);
          await expectNotWritten(
            context,
            head,
            events.map((event) => event.id),
          );
        },
        timeoutMs,
      );
    }

    it(
      'an append without expectedVersion appends whatever the stream version (default any)',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        expect((await store.append(streamId, someEvents(1))).version).toBe(1);
        expect((await store.append(streamId, someEvents(2))).version).toBe(3);
      },
      timeoutMs,
    );

    it(
      'law: an append succeeds if and only if the stream is at the expected version, else ConcurrencyError',
      async () => {
        const store = context.store();
        const expectedVersion = fc.oneof(fc.constantFrom<ExpectedVersion>('any', 'no-stream', 'exists'), fc.nat({ max: 4 }));
        await fc.assert(
          fc.asyncProperty(fc.nat({ max: 3 }), expectedVersion, fc.integer({ min: 1, max: 3 }), async (before, expected, size) => {
            const streamId = `${namespace()}-1`;
            if (before > 0) await store.append(streamId, someEvents(before));
            const events = someEvents(size);
            let outcome: AppendResult | unknown;
            try {
              outcome = await store.append(streamId, events, { expectedVersion: expected });
            } catch (error) {
              outcome = error;
            }
            if (satisfies(expected, before)) {
              expectAppended(outcome as AppendResult, streamId, events, before);
            } else {
              expect(isConcurrencyError(outcome), `expected a ConcurrencyError, got ${String(outcome)}`).toBe(true);
              const error = outcome as ConcurrencyError;
              expect([error.streamId, error.expected, error.actual]).toEqual([streamId, expected, before]);
            }
            const stream = await store.readStream(streamId);
            expectContiguous(stream, streamId);
            expect(stream).toHaveLength(satisfies(expected, before) ? before + size : before);
          }),
          context.fcParameters('expectedVersion'),
        );
      },
      timeoutMs,
    );
  });

  describe('atomic appends', () => {
    it(
      'an append rejected for its expected version writes none of its events',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        await store.append(streamId, someEvents(2));
        const head = await store.headPosition();
        const events = someEvents(3);
        await expectEventfoldError(store.append(streamId, events, { expectedVersion: 1 }), 'CONCURRENCY');
        expect(await store.readStream(streamId)).toHaveLength(2);
        await expectNotWritten(
          context,
          head,
          events.map((event) => event.id),
        );
      },
      timeoutMs,
    );

    it(
      'an append with one invalid event writes none of its events',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        const head = await store.headPosition();
        const events: NewEvent[] = [...someEvents(2), { id: eventId(), type: 'item.created', data: { big: 1n } }];
        await expectEventfoldError(store.append(streamId, events), 'VALIDATION');
        expect(await store.readStream(streamId)).toEqual([]);
        await expectNotWritten(
          context,
          head,
          events.map((event) => event.id),
        );
      },
      timeoutMs,
    );

    it(
      'an append with one event id stored elsewhere writes none of its events',
      async () => {
        const store = context.store();
        const ns = namespace();
        const [taken] = (await store.append(`${ns}-other`, someEvents(1))).events as [RecordedEvent];
        const head = await store.headPosition();
        const events: NewEvent[] = [...someEvents(2), { id: taken.id, type: 'item.created', data: {} }];
        await expectEventfoldError(store.append(`${ns}-1`, events), 'DUPLICATE_EVENT');
        expect(await store.readStream(`${ns}-1`)).toEqual([]);
        await expectNotWritten(
          context,
          head,
          events.slice(0, 2).map((event) => event.id),
        );
      },
      timeoutMs,
    );
  });
}
