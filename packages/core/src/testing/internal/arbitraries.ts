import fc from 'fast-check';
import type { EventMetadata, NewEvent } from '../../event.js';

// What the laws store is plain JSON that every kind of store can hold as it is: strings
// without NUL (PostgreSQL jsonb rejects it), object keys without `.`, a leading `$` or
// `__proto__` (document stores and JSON.parse treat those specially), finite numbers, no -0.

const text: fc.Arbitrary<string> = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((value) => !value.includes('\u0000'));

const key: fc.Arbitrary<string> = fc
  .string({ minLength: 1, maxLength: 8 })
  .filter((value) => !value.includes('.') && !value.startsWith('$') && value !== '__proto__');

const finiteNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => (Object.is(value, -0) ? 0 : value)),
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(fc.constant(null), fc.boolean(), finiteNumber, text);

function containerOf(value: fc.Arbitrary<unknown>, size: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.array(value, { maxLength: size }),
    fc.dictionary(key, value, { maxKeys: size, noNullPrototype: true }) as fc.Arbitrary<unknown>,
  );
}

/** JSON values up to three levels deep, including `null` and bare primitives at the top. */
export const jsonData: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: leaf },
  { weight: 2, arbitrary: containerOf(leaf, 4) },
  { weight: 2, arbitrary: containerOf(fc.oneof(leaf, containerOf(leaf, 3)), 3) },
);

/** Event metadata: any subset of the known keys plus user keys with JSON values. */
export const metadata: fc.Arbitrary<EventMetadata> = fc
  .tuple(
    fc.record(
      { correlationId: text, causationId: text, traceparent: text, tenant: text, actor: text },
      { requiredKeys: [], noNullPrototype: true },
    ),
    fc.dictionary(key, leaf, { maxKeys: 3, noNullPrototype: true }),
  )
  .map(([known, user]) => ({ ...user, ...known }) as EventMetadata);

/** Event types the laws use: plain dotted names. */
export const eventType: fc.Arbitrary<string> = fc.constantFrom('item.created', 'item.renamed', 'item.deleted');

/** A new event without an id (the caller adds one when it wants), with optional metadata and schema version. */
export const newEvent: fc.Arbitrary<NewEvent> = fc
  .record({
    type: eventType,
    data: jsonData,
    metadata: fc.option(metadata, { nil: undefined }),
    schemaVersion: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  })
  .map(({ type, data, metadata: meta, schemaVersion }) => {
    const event: NewEvent = { type, data };
    if (meta !== undefined) event.metadata = meta;
    if (schemaVersion !== undefined) event.schemaVersion = schemaVersion;
    return event;
  });
