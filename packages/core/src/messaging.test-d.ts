import { describe, expectTypeOf, it } from 'vitest';
import { type ConsumeContext, consumer } from './consumer.js';
import type { RecordedEvent } from './event.js';
import { inMemoryInbox } from './memory/in-memory-inbox.js';
import { type InMemoryTransport, inMemoryTransport } from './memory/in-memory-transport.js';
import { type EventMessage, eventToMessage, messageToEvent } from './message-headers.js';
import type { RelayRoutes } from './relay.js';
import type { OutgoingMessage, Transport } from './transport.js';

describe('messaging types', () => {
  it('the in-memory transport implements Transport and only widens it', () => {
    expectTypeOf(inMemoryTransport()).toExtend<Transport>();
    expectTypeOf<InMemoryTransport['publish']>().toEqualTypeOf<Transport['publish']>();
    expectTypeOf<InMemoryTransport['subscribe']>().toEqualTypeOf<Transport['subscribe']>();
  });

  it('maps events to messages and back', () => {
    expectTypeOf(eventToMessage).returns.toEqualTypeOf<EventMessage>();
    expectTypeOf<EventMessage>().toExtend<OutgoingMessage>();
    expectTypeOf(messageToEvent).returns.toEqualTypeOf<RecordedEvent>();
  });

  it('hands recorded events to a consumer by default, and what decode returns otherwise', () => {
    const transport = inMemoryTransport();
    const inbox = inMemoryInbox();
    consumer({
      transport,
      inbox,
      name: 'events',
      topics: ['t'],
      handle: async (event, context) => {
        expectTypeOf(event).toEqualTypeOf<RecordedEvent>();
        expectTypeOf(context).toEqualTypeOf<ConsumeContext>();
      },
    });
    consumer({
      transport,
      inbox,
      name: 'numbers',
      topics: ['t'],
      decode: (message) => message.value.length,
      handle: async (value) => {
        expectTypeOf(value).toEqualTypeOf<number>();
      },
    });
  });

  it('routes by table or function', () => {
    expectTypeOf<{ user: 'user.created' }>().toExtend<RelayRoutes>();
    expectTypeOf<(event: RecordedEvent) => string | undefined>().toExtend<RelayRoutes>();
    expectTypeOf<(event: RecordedEvent) => number>().not.toExtend<RelayRoutes>();
  });
});
