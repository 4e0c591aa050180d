import { describe, expect, it } from 'vitest';
import type { DuplicateEventError } from '../../errors.js';
import type { NewEvent, RecordedEvent } from '../../event.js';
import type { AppendResult, ExpectedVersion } from '../../event-store.js';
import { expectNotWritten, someEvents } from './append-laws.js';
import { type ConformanceContext, eventId, expectEventfoldError, inNamespace, namespace, readAllPages } from './conformance-context.js';

/** The events of an append result as they would be sent again by a writer retrying it. */
function resend(result: AppendResult): NewEvent[] {
  return result.events.map((event) => ({ id: event.id, type: event.type, data: event.data, metadata: event.metadata }));
}

export function describeIdempotencyLaws(context: ConformanceContext): void {
  const { timeoutMs } = context.options;

  describe('idempotent append by event id', () => {
    it(
      'appending the same ids at the same place again returns the original result and writes nothing, even with a stale expectedVersion',
      async () => {
        const store = context.store();
        const ns = namespace();
        const streamId = `${ns}-1`;
        const head = await store.headPosition();
        const events = someEvents(2);
        const original = await store.append(streamId, events, { expectedVersion: 'no-stream' });
        const stale: (ExpectedVersion | undefined)[] = ['no-stream', 0, 'any', 'exists', 2, 7, undefined];
        for (const expectedVersion of stale) {
          const repeat = await store.append(streamId, events, expectedVersion === undefined ? undefined : { expectedVersion });
          expect(repeat, `repeat with expectedVersion ${String(expectedVersion)}`).toEqual(original);
        }
        expect(await store.readStream(streamId)).toEqual(original.events);
        expect(inNamespace(await readAllPages(store, { after: head }), ns)).toEqual(original.events);
      },
      timeoutMs,
    );

    it(
      'a repeat still returns the original result after the stream has moved on',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        const first = someEvents(2);
        const original = await store.append(streamId, first);
        const later = await store.append(streamId, someEvents(2), { expectedVersion: 2 });
        expect(await store.append(streamId, first, { expectedVersion: 'no-stream' })).toEqual(original);
        expect(await store.readStream(streamId)).toEqual([...original.events, ...later.events]);
      },
      timeoutMs,
    );

    it(
      'a repeat of a contiguous run of stored events (same stream, consecutive versions, same order) returns those events as recorded',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        const original = await store.append(streamId, someEvents(3));
        const [, second, third] = original.events as [RecordedEvent, RecordedEvent, RecordedEvent];
        const run = await store.append(streamId, resend(original).slice(1), { expectedVersion: 'no-stream' });
        expect(run).toEqual({ streamId, version: 3, position: third.position, events: [second, third] });
        const single = await store.append(streamId, resend(original).slice(1, 2));
        expect(single).toEqual({ streamId, version: 2, position: second.position, events: [second] });
        expect(await store.readStream(streamId)).toEqual(original.events);
      },
      timeoutMs,
    );

    it(
      'a batch that only partly repeats stored events, or repeats them out of order, is a DuplicateEventError and writes nothing',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        const original = await store.append(streamId, someEvents(2));
        const [a, b] = resend(original) as [NewEvent, NewEvent];
        const fresh = (): NewEvent => ({ id: eventId(), type: 'item.created', data: {} });
        const batches: [string, NewEvent[]][] = [
          ['stored then new', [a, b, fresh()]],
          ['new then stored', [fresh(), a, b]],
          ['stored out of order', [b, a]],
          ['stored with a gap', [a, fresh(), b]],
          ['stored then one without id', [a, b, { type: 'item.created', data: {} }]],
        ];
        for (const [label, batch] of batches) {
          const head = await store.headPosition();
          const error = (await expectEventfoldError(store.append(streamId, batch), 'DUPLICATE_EVENT')) as DuplicateEventError;
          expect([a.id, b.id], label).toContain(error.eventId);
          expect(error.streamId, label).toBe(streamId);
          expect(error.retryable, label).toBe(false);
          await expectNotWritten(
            context,
            head,
            batch.map((event) => event.id),
          );
        }
        expect(await store.readStream(streamId)).toEqual(original.events);
      },
      timeoutMs,
    );

    it(
      'an event id stored in another stream is a DuplicateEventError and writes nothing',
      async () => {
        const store = context.store();
        const ns = namespace();
        const original = await store.append(`${ns}-1`, someEvents(1));
        const [event] = resend(original) as [NewEvent];
        for (const expectedVersion of ['no-stream', 'any', 0] as const) {
          const error = (await expectEventfoldError(
            store.append(`${ns}-2`, [event], { expectedVersion }),
            'DUPLICATE_EVENT',
          )) as DuplicateEventError;
          expect(error.eventId).toBe(event.id);
          expect(error.streamId).toBe(`${ns}-2`);
        }
        expect(await store.readStream(`${ns}-2`)).toEqual([]);
        expect(await store.readStream(`${ns}-1`)).toEqual(original.events);
      },
      timeoutMs,
    );

    it(
      'the same event id twice in one batch is a ValidationError',
      async () => {
        const store = context.store();
        const streamId = `${namespace()}-1`;
        const id = eventId();
        await expectEventfoldError(
          store.append(streamId, [
            { id, type: 'item.created', data: 1 },
            { id, type: 'item.created', data: 2 },
          ]),
          'VALIDATION',
        );
        expect(await store.readStream(streamId)).toEqual([]);
      },
      timeoutMs,
    );

    for (const expectedVersion of ['no-stream', 'any'] as const) {
      it(
        `concurrent repeats of one append (expectedVersion ${expectedVersion}) all resolve to the same result, written once`,
        async () => {
          const store = context.store();
          const ns = namespace();
          const head = await store.headPosition();
          const events = someEvents(3);
          const results = await Promise.all(
            Array.from({ length: context.options.concurrency }, () => store.append(`${ns}-1`, events, { expectedVersion })),
          );
          const [first] = results as [AppendResult];
          for (const result of results) expect(result).toEqual(first);
          expect(first.version).toBe(3);
          expect(await store.readStream(`${ns}-1`)).toEqual(first.events);
          expect(inNamespace(await readAllPages(store, { after: head }), ns)).toEqual(first.events);
        },
        timeoutMs,
      );
    }
  });
}
