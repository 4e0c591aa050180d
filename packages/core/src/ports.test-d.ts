import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { CatalogEvent, EventDefinition } from './event-catalog.js';
import { defineEvent, eventCatalog } from './event-catalog.js';
import type { EventStore } from './event-store.js';
import { type InMemoryEventStore, inMemoryEventStore } from './memory/in-memory-event-store.js';
import type { Position } from './position.js';

describe('ports', () => {
  it('the in-memory store implements EventStore and only widens it', () => {
    expectTypeOf(inMemoryEventStore()).toExtend<EventStore>();
    expectTypeOf<InMemoryEventStore['append']>().toEqualTypeOf<EventStore['append']>();
    expectTypeOf<InMemoryEventStore['readAll']>().toEqualTypeOf<EventStore['readAll']>();
  });

  it('positions are bigints', () => {
    expectTypeOf<Position>().toEqualTypeOf<bigint>();
  });
});

describe('event catalog types', () => {
  const registered = defineEvent({ type: 'user.registered', schema: z.object({ name: z.string() }) });
  const renamed = defineEvent({
    type: 'user.renamed',
    version: 2,
    schema: z.object({ to: z.string() }),
    upcast: { 1: (old: { name: string }) => ({ to: old.name }) },
  });
  const catalog = eventCatalog([registered, renamed]);

  it('keeps the literal event type', () => {
    expectTypeOf(registered).toExtend<EventDefinition<'user.registered'>>();
    expectTypeOf(registered.create({ name: 'ada' }).type).toEqualTypeOf<'user.registered'>();
  });

  it('infers the union of decoded events from a catalog', () => {
    expectTypeOf<CatalogEvent<typeof catalog>>().toEqualTypeOf<
      { type: 'user.registered'; data: { name: string } } | { type: 'user.renamed'; data: { to: string } }
    >();
  });

  it('rejects payloads of the wrong shape at compile time', () => {
    // @ts-expect-error name must be a string
    registered.create({ name: 1 });
  });
});
