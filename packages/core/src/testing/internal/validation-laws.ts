import { describe, expect, it } from 'vitest';
import { isValidationError, type ValidationError } from '../../errors.js';
import type { NewEvent } from '../../event.js';
import type { ExpectedVersion } from '../../event-store.js';
import { MAX_STREAM_ID_LENGTH } from '../../stream-id.js';
import { expectNotWritten } from './append-laws.js';
import { type ConformanceContext, eventId, expectEventfoldError, namespace } from './conformance-context.js';

/** Bad input to `append`: each case is a `ValidationError` with at least one issue, and writes nothing. */
export function describeValidationLaws(context: ConformanceContext): void {
  const { timeoutMs } = context.options;

  describe('invalid input is a ValidationError and writes nothing', () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const valid = (): NewEvent => ({ id: eventId(), type: 'item.created', data: { ok: true } });

    type Case = readonly [title: string, streamId: (ns: string) => unknown, events: () => unknown, expectedVersion?: unknown];
    const cases: readonly Case[] = [
      ['an empty stream id', () => '', () => [valid()]],
      [
        `a stream id longer than ${MAX_STREAM_ID_LENGTH} characters`,
        (ns) => `${ns}-`.padEnd(MAX_STREAM_ID_LENGTH + 1, 'x'),
        () => [valid()],
      ],
      ['a stream id with a newline', (ns) => `${ns}-a\nb`, () => [valid()]],
      ['a stream id with a NUL character', (ns) => `${ns}-a\u0000b`, () => [valid()]],
      ['a stream id with a tab', (ns) => `${ns}-a\tb`, () => [valid()]],
      ['a stream id with DEL (U+007F)', (ns) => `${ns}-a\u007fb`, () => [valid()]],
      ['a stream id that is a number', () => 42, () => [valid()]],
      ['a stream id that is undefined', () => undefined, () => [valid()]],
      ['a stream id that is null', () => null, () => [valid()]],
      ['an empty batch', (ns) => `${ns}-1`, () => []],
      ['a batch that is not an array', (ns) => `${ns}-1`, () => null],
      ['expectedVersion -1', (ns) => `${ns}-1`, () => [valid()], -1],
      ['expectedVersion 1.5', (ns) => `${ns}-1`, () => [valid()], 1.5],
      ['expectedVersion NaN', (ns) => `${ns}-1`, () => [valid()], Number.NaN],
      ['expectedVersion Infinity', (ns) => `${ns}-1`, () => [valid()], Number.POSITIVE_INFINITY],
      ['expectedVersion 2^53 (not a safe integer)', (ns) => `${ns}-1`, () => [valid()], 2 ** 53],
      ["expectedVersion '1' (a string)", (ns) => `${ns}-1`, () => [valid()], '1'],
      ["expectedVersion 'latest'", (ns) => `${ns}-1`, () => [valid()], 'latest'],
      ['an empty event type', (ns) => `${ns}-1`, () => [valid(), { id: eventId(), type: '', data: {} }]],
      ['an event type that is not a string', (ns) => `${ns}-1`, () => [{ id: eventId(), type: 7, data: {} }]],
      ['an event without a type', (ns) => `${ns}-1`, () => [{ id: eventId(), data: {} }]],
      ['an empty event id', (ns) => `${ns}-1`, () => [{ id: '', type: 'item.created', data: {} }]],
      [
        'the same event id twice in one batch',
        (ns) => `${ns}-1`,
        () => [
          valid(),
          ...((id) => [
            { id, type: 'a', data: 1 },
            { id, type: 'b', data: 2 },
          ])(eventId()),
        ],
      ],
      ['schemaVersion 0', (ns) => `${ns}-1`, () => [{ ...valid(), schemaVersion: 0 }]],
      ['schemaVersion 1.5', (ns) => `${ns}-1`, () => [{ ...valid(), schemaVersion: 1.5 }]],
      ['data holding a bigint', (ns) => `${ns}-1`, () => [{ ...valid(), data: { amount: 10n } }]],
      ['data that is a bigint', (ns) => `${ns}-1`, () => [{ ...valid(), data: 10n }]],
      ['circular data', (ns) => `${ns}-1`, () => [{ ...valid(), data: circular }]],
      ['data that is undefined', (ns) => `${ns}-1`, () => [{ id: eventId(), type: 'item.created', data: undefined }]],
      ['data that is a function', (ns) => `${ns}-1`, () => [{ ...valid(), data: () => 1 }]],
      ['metadata holding a bigint', (ns) => `${ns}-1`, () => [{ ...valid(), metadata: { tenant: 'a', big: 1n } }]],
      ['circular metadata', (ns) => `${ns}-1`, () => [{ ...valid(), metadata: circular }]],
    ];

    for (const [title, makeStreamId, makeEvents, expectedVersion] of cases) {
      it(
        title,
        async () => {
          const store = context.store();
          const ns = namespace();
          const streamId = makeStreamId(ns);
          const events = makeEvents();
          const head = await store.headPosition();
          const options = expectedVersion === undefined ? undefined : { expectedVersion: expectedVersion as ExpectedVersion };
          const error = (await expectEventfoldError(
            store.append(streamId as string, events as NewEvent[], options),
            'VALIDATION',
          )) as ValidationError;
          expect(isValidationError(error)).toBe(true);
          expect(error.retryable).toBe(false);
          expect(Array.isArray(error.issues)).toBe(true);
          expect(error.issues.length).toBeGreaterThan(0);
          expect(await store.readStream(`${ns}-1`)).toEqual([]);
          const ids = Array.isArray(events)
            ? events.map((event: { id?: unknown }) => (typeof event.id === 'string' ? event.id : undefined))
            : [];
          await expectNotWritten(context, head, ids);
        },
        timeoutMs,
      );
    }
  });
}
