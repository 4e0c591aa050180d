import { describe, expect, it } from 'vitest';
import { isConfigurationError } from './errors.js';
import type { EventStore } from './event-store.js';
import { eventually } from './internal/transport-law-kit.js';
import { inMemoryEventStore } from './memory/in-memory-event-store.js';
import { inMemoryTransport } from './memory/in-memory-transport.js';
import { MessageHeaders } from './message-headers.js';
import { START } from './position.js';
import { relay } from './relay.js';
import type { OutgoingMessage, Transport } from './transport.js';

function setup() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
  const store = inMemoryEventStore({ now: clock.now });
  const transport = inMemoryTransport();
  const append = (streamId: string, ...types: string[]) =>
    store.append(
      streamId,
      types.map((type) => ({ type, data: { streamId, type } })),
    );
  const idsOn = (topic: string) => transport.messages(topic).map((message) => message.headers[MessageHeaders.eventId]);
  return { clock, store, transport, append, idsOn };
}

/** A transport whose publishes fail while `failing` is set. */
function failingTransport(inner: Transport, fails: (topic: string) => boolean): Transport {
  return {
    publish: async (topic: string, messages: readonly OutgoingMessage[]) => {
      if (fails(topic)) throw new Error(`broker down for ${topic}`);
      return inner.publish(topic, messages);
    },
    subscribe: (options) => inner.subscribe(options),
    close: () => inner.close(),
  };
}

describe('relay', () => {
  it('publishes routed events keyed by stream id, in order, and advances the checkpoint past unrouted ones', async () => {
    const { store, transport, append, idsOn } = setup();
    const user = await append('user-1', 'user.registered', 'user.renamed');
    await append('audit-1', 'audit.logged');
    const order = await append('order-7', 'order.placed');
    const outbox = relay({ store, transport, routes: { user: 'user.created', 'order.placed': 'orders' } });

    const result = await outbox.runOnce();

    expect(result).toEqual({ leader: true, published: 3, skipped: 1, checkpoint: order.position });
    expect(idsOn('user.created')).toEqual(user.events.map((event) => event.id));
    expect(idsOn('orders')).toEqual(order.events.map((event) => event.id));
    expect(transport.messages('user.created').map((message) => message.key)).toEqual(['user-1', 'user-1']);
    expect(await store.checkpoints.get('relay:outbox')).toBe(order.position);
    expect(await outbox.lag()).toBe(0n);
    expect(await outbox.runOnce()).toEqual({ leader: true, published: 0, skipped: 0, checkpoint: order.position });
  });

  it('prefers a type route over a category route, and accepts a routing function', async () => {
    const { store, transport, append, idsOn } = setup();
    await append('user-1', 'user.registered', 'user.deleted');
    await relay({ store, transport, routes: { user: 'users', 'user.deleted': 'deletions' } }).runOnce();
    expect(idsOn('users')).toHaveLength(1);
    expect(idsOn('deletions')).toHaveLength(1);

    await relay({
      store,
      transport,
      name: 'by-function',
      routes: (event) => (event.type.endsWith('deleted') ? 'only-deletions' : undefined),
    }).runOnce();
    expect(idsOn('only-deletions')).toHaveLength(1);
  });

  it('reads in batches of batchSize until caught up', async () => {
    const { store, transport, append, idsOn } = setup();
    for (let index = 0; index < 7; index++) await append(`user-${index}`, 'user.registered');
    const reads: number[] = [];
    const counting: EventStore = {
      ...store,
      readAll: async (options) => {
        const events = await store.readAll(options);
        reads.push(events.length);
        return events;
      },
    };
    const result = await relay({ store: counting, transport, routes: { user: 'users' }, batchSize: 3 }).runOnce();
    expect(result.published).toBe(7);
    expect(reads).toEqual([3, 3, 1, 0]);
    expect(idsOn('users')).toHaveLength(7);
  });

  it('keeps reading when the store returns fewer events than asked for', async () => {
    const { store, transport, append, idsOn } = setup();
    for (let index = 0; index < 5; index++) await append(`user-${index}`, 'user.registered');
    const capped: EventStore = { ...store, readAll: (options) => store.readAll({ ...options, limit: 2 }) };
    const result = await relay({ store: capped, transport, routes: { user: 'users' }, batchSize: 100 }).runOnce();
    expect(result.published).toBe(5);
    expect(idsOn('users')).toHaveLength(5);
  });

  it('never advances the checkpoint when a publish fails, then re-publishes the batch', async () => {
    const { store, transport, append, idsOn } = setup();
    await append('user-1', 'user.registered');
    await append('order-1', 'order.placed');
    let down = true;
    const flaky = failingTransport(transport, (topic) => down && topic === 'orders');
    const outbox = relay({ store, transport: flaky, routes: { user: 'users', order: 'orders' } });

    await expect(outbox.runOnce()).rejects.toThrow(/broker down for orders/);
    expect(await store.checkpoints.get('relay:outbox')).toBeUndefined();
    expect(await outbox.lag()).toBe(2n);
    expect(idsOn('users')).toHaveLength(1);

    down = false;
    await outbox.runOnce();
    expect(idsOn('users')).toHaveLength(2);
    expect(new Set(idsOn('users')).size).toBe(1);
    expect(idsOn('orders')).toHaveLength(1);
    expect(await outbox.lag()).toBe(0n);
  });

  it('never advances the checkpoint when its write fails; the next run re-publishes', async () => {
    const { store, transport, append, idsOn } = setup();
    await append('user-1', 'user.registered');
    let failWrite = true;
    const storeWithFlakyCheckpoints: EventStore = {
      ...store,
      checkpoints: {
        ...store.checkpoints,
        put: async (name, position) => {
          if (failWrite) throw new Error('checkpoint write failed');
          return store.checkpoints.put(name, position);
        },
      },
    };
    const outbox = relay({ store: storeWithFlakyCheckpoints, transport, routes: { user: 'users' } });
    await expect(outbox.runOnce()).rejects.toThrow(/checkpoint write failed/);
    failWrite = false;
    await outbox.runOnce();
    expect(idsOn('users')).toHaveLength(2);
    expect(await outbox.lag()).toBe(0n);
  });

  it('lets one instance per name relay; another takes over when the lease lapses', async () => {
    const { clock, store, transport, append, idsOn } = setup();
    const first = relay({ store, transport, routes: { user: 'users' }, owner: 'first', leaseTtlMs: 10_000, pollIntervalMs: 1_000 });
    const second = relay({ store, transport, routes: { user: 'users' }, owner: 'second', leaseTtlMs: 10_000, pollIntervalMs: 1_000 });
    await append('user-1', 'user.registered');

    expect((await first.runOnce()).leader).toBe(true);
    await append('user-2', 'user.registered');
    expect(await second.runOnce()).toEqual({ leader: false, published: 0, skipped: 0, checkpoint: (await store.readAll())[0]?.position });
    expect(idsOn('users')).toHaveLength(1);

    clock.advance(10_001);
    const takeover = await second.runOnce();
    expect(takeover.leader).toBe(true);
    expect(takeover.published).toBe(1);
    expect((await store.leases.holder('outbox'))?.owner).toBe('second');
    expect((await first.runOnce()).leader).toBe(false);
    expect(idsOn('users')).toHaveLength(2);
  });

  it('gives the lease up on stop, so another instance takes over at once', async () => {
    const { store, transport } = setup();
    const first = relay({ store, transport, routes: { user: 'users' }, owner: 'first' });
    const second = relay({ store, transport, routes: { user: 'users' }, owner: 'second' });
    await first.runOnce();
    expect((await second.runOnce()).leader).toBe(false);
    await first.stop();
    expect((await second.runOnce()).leader).toBe(true);
  });

  it('leaves the checkpoint alone when it lost the lease while publishing', async () => {
    const { clock, store, transport, append } = setup();
    await append('user-1', 'user.registered');
    const slow: Transport = {
      ...transport,
      publish: async (topic, messages) => {
        clock.advance(60_000);
        await store.leases.acquire('outbox', 'usurper', 60_000);
        return transport.publish(topic, messages);
      },
    };
    const result = await relay({ store, transport: slow, routes: { user: 'users' }, owner: 'slow' }).runOnce();
    expect(result).toEqual({ leader: false, published: 0, skipped: 0, checkpoint: START });
    expect(await store.checkpoints.get('relay:outbox')).toBeUndefined();
  });

  it('wakes on appends when started, without waiting for the poll interval', async () => {
    const { store, transport, append, idsOn } = setup();
    const outbox = relay({ store, transport, routes: { user: 'users' }, pollIntervalMs: 60_000, leaseTtlMs: 120_000 });
    outbox.start();
    outbox.start();
    await eventually('the idle pass ran', 1_000, async () => (await store.leases.holder('outbox')) !== undefined);
    await append('user-1', 'user.registered');
    await eventually('the event is published', 1_000, () => idsOn('users').length === 1);
    await append('user-2', 'user.registered');
    await eventually('the next event is published', 1_000, () => idsOn('users').length === 2);
    await outbox.stop();
    expect(await store.leases.holder('outbox')).toBeUndefined();
  });

  it('reports background failures and recovers', async () => {
    const { store, transport, append, idsOn } = setup();
    let down = true;
    const errors: unknown[] = [];
    const outbox = relay({
      store,
      transport: failingTransport(transport, () => down),
      routes: { user: 'users' },
      pollIntervalMs: 5,
      onError: (error) => {
        errors.push(error);
        down = false;
      },
    });
    await append('user-1', 'user.registered');
    outbox.start();
    await eventually('the event is published after the failure', 2_000, () => idsOn('users').length === 1);
    await outbox.stop();
    expect(errors).toHaveLength(1);
  });

  it('rejects missing and invalid options with ConfigurationError', () => {
    const { store, transport } = setup();
    const attempt = (options: object) => {
      try {
        relay({ store, transport, routes: { user: 'users' }, ...options } as never);
      } catch (error) {
        expect(isConfigurationError(error)).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected a ConfigurationError');
    };
    expect(attempt({ routes: undefined })).toMatch(/^\[@eventfold\/core\] Option `routes` is required/);
    expect(attempt({ routes: {} })).toMatch(/Option `routes` is required/);
    expect(attempt({ routes: { user: '' } })).toMatch(/Option `routes.user` must be a topic name/);
    expect(attempt({ store: undefined })).toMatch(/Option `store` is required/);
    expect(attempt({ transport: undefined })).toMatch(/Option `transport` is required/);
    expect(attempt({ batchSize: 0 })).toMatch(/Option `batchSize` must be an integer >= 1/);
    expect(attempt({ pollIntervalMs: 1_000, leaseTtlMs: 500 })).toMatch(
      /Option `leaseTtlMs` \(500\) must exceed `pollIntervalMs` \(1000\)/,
    );
  });
});
