import type { StandardSchemaV1 } from '@standard-schema/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isConfigurationError, isUnknownEventTypeError, isValidationError, type ValidationError } from './errors.js';
import type { RecordedEvent } from './event.js';
import { defineEvent, eventCatalog } from './event-catalog.js';
import { deepFreeze } from './internal/json.js';

// A payload whose shape changes in every version:
// v1 { name, email } → v2 { firstName, lastName, email } → v3 { firstName, lastName, contact: { email, verified } }.
type V1 = { name: string; email: string };
type V2 = { firstName: string; lastName: string; email: string };
const v1Schema = z.strictObject({ name: z.string().min(1), email: z.email() });
const v2Schema = z.strictObject({ firstName: z.string().min(1), lastName: z.string(), email: z.email() });
const v3Schema = z.strictObject({
  firstName: z.string().min(1),
  lastName: z.string(),
  contact: z.strictObject({ email: z.email(), verified: z.boolean() }),
});
const upcastV1 = (v1: V1): V2 => {
  const [firstName = '', ...rest] = v1.name.split(' ');
  return { firstName, lastName: rest.join(' '), email: v1.email };
};
const upcastV2 = (v2: V2) => ({ firstName: v2.firstName, lastName: v2.lastName, contact: { email: v2.email, verified: false } });
const customerRegistered = defineEvent({ type: 'customer.registered', version: 3, schema: v3Schema, upcast: { 1: upcastV1, 2: upcastV2 } });

const userRegistered = defineEvent({
  type: 'user.registered',
  schema: z.object({
    userId: z.uuid(),
    email: z.email(),
    fullName: z.string().trim().min(2),
    tags: z.array(z.string().min(1)).default([]),
  }),
});

const catalog = eventCatalog([customerRegistered, userRegistered]);

function recorded(type: string, schemaVersion: number, data: unknown): RecordedEvent {
  return deepFreeze({
    id: '0190a0e2-7c1b-7d3e-9f00-1234567890ab',
    type,
    schemaVersion,
    streamId: 'customer-1',
    version: 4,
    position: 42n,
    data,
    metadata: { correlationId: 'req-1' },
    recordedAt: new Date(Date.UTC(2026, 0, 1)),
  });
}

async function rejection(action: Promise<unknown>): Promise<unknown> {
  return action.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('defineEvent', () => {
  it('defaults to version 1 without upcasters, and creates new events of its type', () => {
    const definition = defineEvent({ type: 'user.renamed', schema: z.object({ name: z.string() }) });
    expect(definition.version).toBe(1);
    expect(definition.upcast).toEqual({});
    expect(definition.create({ name: 'Ada' })).toEqual({ type: 'user.renamed', data: { name: 'Ada' } });
    expect(definition.create({ name: 'Ada' }, { id: 'evt-1', metadata: { actor: 'u-1' } })).toEqual({
      type: 'user.renamed',
      data: { name: 'Ada' },
      id: 'evt-1',
      metadata: { actor: 'u-1' },
    });
  });

  it.each(['user.registered', 'user-registered', 'user_registered', 'User.Registered2', 'a'])('accepts the type %j', (type) => {
    expect(defineEvent({ type, schema: z.unknown() }).type).toBe(type);
  });

  it.each(['', 'user registered', '1user.created', 'user..created', '.user', 'user.', 'user/created'])(
    'rejects the type %j with a ConfigurationError',
    (type) => {
      const attempt = () => defineEvent({ type, schema: z.unknown() });
      expect(attempt).toThrow(/dotted name/);
      expect(isConfigurationError(catchError(attempt))).toBe(true);
    },
  );

  it.each([0, -1, 1.5, Number.NaN])('rejects version %s with a ConfigurationError', (version) => {
    const error = catchError(() => defineEvent({ type: 'user.created', schema: z.unknown(), version }));
    expect(isConfigurationError(error)).toBe(true);
    expect((error as Error).message).toContain('version must be an integer >= 1');
  });

  it('rejects a version without an upcaster from every older version, naming the missing one', () => {
    const error = catchError(() => defineEvent({ type: 'user.created', schema: z.unknown(), version: 3, upcast: { 1: (data) => data } }));
    expect(isConfigurationError(error)).toBe(true);
    expect((error as Error).message).toContain('upcast[2]');
  });
});

describe('eventCatalog', () => {
  it('looks definitions up by type and keeps them in order', () => {
    expect(catalog.definitions).toEqual([customerRegistered, userRegistered]);
    expect(catalog.get('user.registered')).toBe(userRegistered);
    expect(catalog.has('customer.registered')).toBe(true);
    expect(catalog.has('user.deleted')).toBe(false);
    expect(catalog.get('user.deleted')).toBeUndefined();
  });

  it('rejects two definitions of one type with a ConfigurationError', () => {
    const again = defineEvent({ type: 'user.registered', schema: z.unknown() });
    const error = catchError(() => eventCatalog([userRegistered, again]));
    expect(isConfigurationError(error)).toBe(true);
    expect((error as Error).message).toContain('"user.registered" is defined twice');
  });
});

describe('encode', () => {
  it('returns the schema output, stamps the current schema version and keeps id and metadata', async () => {
    const event = {
      ...userRegistered.create(
        { userId: '0190a0e2-7c1b-7d3e-9f00-1234567890ab', email: 'ada@example.com', fullName: '  Ada Lovelace ' },
        { id: 'evt-1', metadata: { correlationId: 'req-1' } },
      ),
      schemaVersion: 7,
    };
    expect(await catalog.encode(event)).toEqual({
      type: 'user.registered',
      id: 'evt-1',
      metadata: { correlationId: 'req-1' },
      data: { userId: '0190a0e2-7c1b-7d3e-9f00-1234567890ab', email: 'ada@example.com', fullName: 'Ada Lovelace', tags: [] },
      schemaVersion: 1,
    });
    const v3 = await catalog.encode(
      customerRegistered.create({ firstName: 'Ada', lastName: '', contact: { email: 'a@b.io', verified: true } }),
    );
    expect(v3.schemaVersion).toBe(3);
  });

  it('reports every invalid field at once, with paths under data', async () => {
    const error = (await rejection(
      catalog.encode({ type: 'user.registered', data: { userId: 'nope', email: 'not-an-email', fullName: 'A', tags: ['ok', ''] } }),
    )) as ValidationError;
    expect(isValidationError(error)).toBe(true);
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ['data', 'userId'],
      ['data', 'email'],
      ['data', 'fullName'],
      ['data', 'tags', 1],
    ]);
    expect(error.message).toContain('data.tags.1');
  });

  it('rejects a type the catalog does not know with an UnknownEventTypeError', async () => {
    const error = await rejection(catalog.encode({ type: 'user.deleted', data: {} }));
    expect(isUnknownEventTypeError(error)).toBe(true);
    expect((error as { eventType: string }).eventType).toBe('user.deleted');
  });
});

describe('decode', () => {
  it('upcasts v1 through v2 to v3, each upcaster once and in order, then validates', async () => {
    const calls: string[] = [];
    const traced = eventCatalog([
      defineEvent({
        type: 'customer.registered',
        version: 3,
        schema: v3Schema,
        upcast: {
          1: (data: V1) => {
            calls.push('1→2');
            return upcastV1(data);
          },
          2: (data: V2) => {
            calls.push('2→3');
            return upcastV2(data);
          },
        },
      }),
    ]);
    const event = recorded('customer.registered', 1, { name: 'Ada King Lovelace', email: 'ada@example.com' });
    const decoded = await traced.decode(event);
    expect(calls).toEqual(['1→2', '2→3']);
    expect(decoded).toEqual({
      ...event,
      schemaVersion: 3,
      data: { firstName: 'Ada', lastName: 'King Lovelace', contact: { email: 'ada@example.com', verified: false } },
    });
    calls.length = 0;
    await traced.decode(recorded('customer.registered', 2, { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' }));
    expect(calls).toEqual(['2→3']);
    calls.length = 0;
    await traced.decode(
      recorded('customer.registered', 3, { firstName: 'Ada', lastName: '', contact: { email: 'a@b.io', verified: true } }),
    );
    expect(calls).toEqual([]);
  });

  it('rejects a schema version newer than the catalog with a ConfigurationError', async () => {
    const error = await rejection(catalog.decode(recorded('customer.registered', 4, {})));
    expect(isConfigurationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/schema version 4, newer than this catalog's 3/);
  });

  it('rejects an unknown type with an UnknownEventTypeError, or passes the event through untouched with unknownEvents: raw', async () => {
    const event = recorded('customer.deleted', 1, { anything: true });
    const error = await rejection(catalog.decode(event));
    expect(isUnknownEventTypeError(error)).toBe(true);
    expect(await rejection(catalog.decode(event, { unknownEvents: 'error' }))).toSatisfy(isUnknownEventTypeError);
    expect(await catalog.decode(event, { unknownEvents: 'raw' })).toBe(event);
  });

  it('reports data that does not fit after upcasting as a ValidationError with paths under data', async () => {
    const error = (await rejection(catalog.decode(recorded('customer.registered', 1, { name: 'Ada', email: 'nope' })))) as ValidationError;
    expect(isValidationError(error)).toBe(true);
    expect(error.issues.map((issue) => issue.path)).toEqual([['data', 'contact', 'email']]);
    expect(error.message).toContain('0190a0e2-7c1b-7d3e-9f00-1234567890ab');
  });

  it('accepts any Standard Schema, including one that validates asynchronously', async () => {
    const positive: StandardSchemaV1<number, number> = {
      '~standard': {
        version: 1,
        vendor: 'hand-written',
        validate: async (value) =>
          typeof value === 'number' && value > 0 ? { value } : { issues: [{ message: 'must be a positive number', path: ['amount'] }] },
      },
    };
    const amounts = eventCatalog([defineEvent({ type: 'amount.set', schema: positive })]);
    expect((await amounts.encode({ type: 'amount.set', data: 3 })).data).toBe(3);
    const error = (await rejection(amounts.encode({ type: 'amount.set', data: -1 }))) as ValidationError;
    expect(error.issues).toEqual([{ message: 'must be a positive number', path: ['data', 'amount'] }]);
  });
});

describe('law: upcasting', () => {
  const word = fc.stringMatching(/^[A-Za-z]{1,10}$/);
  const email = fc
    .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z]{1,12}$/), fc.constantFrom('com', 'org', 'io'))
    .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);
  const v1 = fc.record({ name: fc.array(word, { minLength: 1, maxLength: 4 }).map((words) => words.join(' ')), email });
  const v2 = fc.record({ firstName: word, lastName: fc.array(word, { maxLength: 3 }).map((words) => words.join(' ')), email });
  const older = fc.oneof(
    v1.map((data) => ({ schemaVersion: 1, data: v1Schema.parse(data) as unknown })),
    v2.map((data) => ({ schemaVersion: 2, data: v2Schema.parse(data) as unknown })),
  );

  it('decoding a payload of any older version yields data valid under the newest schema, keeping what it said', async () => {
    await fc.assert(
      fc.asyncProperty(older, async ({ schemaVersion, data }) => {
        const decoded = await catalog.decode(recorded('customer.registered', schemaVersion, data));
        expect(decoded.schemaVersion).toBe(3);
        const parsed = v3Schema.safeParse(decoded.data);
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
        const current = decoded.data as z.infer<typeof v3Schema>;
        const original = data as Partial<V1 & V2>;
        expect(current.contact.email).toBe(original.email);
        expect([current.firstName, current.lastName].filter(Boolean).join(' ')).toBe(
          original.name ?? [original.firstName, original.lastName].filter(Boolean).join(' '),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('upcasting composes: v1 decodes to what its v2 form decodes to, and decoding again changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(v1, async (data) => {
        const fromV1 = await catalog.decode(recorded('customer.registered', 1, data));
        const fromV2 = await catalog.decode(recorded('customer.registered', 2, upcastV1(data)));
        expect(fromV1).toEqual(fromV2);
        expect(await catalog.decode(fromV1)).toEqual(fromV1);
      }),
      { numRuns: 200 },
    );
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return expect.fail('expected an error');
}

describe('decodeAll', () => {
  it('decodes a page in order, upcasting and validating each event like decode', async () => {
    const renamed = defineEvent({
      type: 'user.renamed',
      version: 2,
      schema: z.object({ to: z.string() }),
      upcast: { 1: (old: { name: string }) => ({ to: old.name }) },
    });
    const catalog = eventCatalog([renamed]);
    const at = (version: number, schemaVersion: number, data: unknown): RecordedEvent => ({
      id: `e-${version}`,
      type: 'user.renamed',
      schemaVersion,
      streamId: 'user-1',
      version,
      position: BigInt(version),
      data,
      metadata: {},
      recordedAt: new Date(0),
    });
    const page = [at(1, 1, { name: 'ada' }), at(2, 2, { to: 'grace' })];
    const decoded = await catalog.decodeAll(page);
    expect(decoded.map((event) => [event.version, event.schemaVersion, event.data])).toEqual([
      [1, 2, { to: 'ada' }],
      [2, 2, { to: 'grace' }],
    ]);
    expect(decoded).toEqual(await Promise.all(page.map((event) => catalog.decode(event))));
    await expect(catalog.decodeAll([at(3, 2, { to: 7 })])).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: ['data', 'to'] }],
    });
    await expect(catalog.decodeAll([{ ...at(4, 1, {}), type: 'nope' }])).rejects.toMatchObject({ code: 'UNKNOWN_EVENT_TYPE' });
  });
});
