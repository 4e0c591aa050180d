import fc from 'fast-check';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { documentBytes } from './bson-size.js';
import { commitDocument, prepareEvents } from './commit-document.js';

// Our size must match the driver's own serializer, so an append is refused before sending exactly
// when the server would refuse it.
const scalar = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  fc.constant(null),
  fc.date({ noInvalidDate: true }),
);
// BSON keys are C strings: no NUL.
const key = fc.string({ maxLength: 6 }).filter((text) => !text.includes('\u0000'));
const value = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('documentBytes', () => {
  it('law: equals the driver serializer for documents of strings, numbers, bigints, booleans, nulls, dates, arrays and objects', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (document) => {
        expect(documentBytes(document as Record<string, unknown>)).toBe(BSON.calculateObjectSize(document));
      }),
      { numRuns: 300 },
    );
  });

  it('counts the numbers at the edges of int32 as the driver does: -0 and out-of-range integers are doubles', () => {
    for (const number of [0, -0, 2147483647, 2147483648, -2147483648, -2147483649, 0.5]) {
      expect(documentBytes({ n: number }), String(number)).toBe(BSON.calculateObjectSize({ n: number }));
    }
  });

  it('equals the driver serializer for commit documents with non-ASCII data', () => {
    const events = prepareEvents([
      { id: 'e-1', type: 'order.placed', data: { name: 'Grüße 👋', lines: [[1, 2]] }, metadata: { tenant: 'ß' } },
      { type: 'order.paid', data: 42 },
    ]);
    const commit = commitDocument('order-1', 3, 41n, events, new Date(0)) as unknown as Record<string, unknown>;
    expect(documentBytes(commit)).toBe(BSON.calculateObjectSize(commit));
  });
});
