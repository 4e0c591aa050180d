import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Consumer, consumer } from './consumer.js';
import type { RecordedEvent } from './event.js';
import type { EventStore } from './event-store.js';
import { inMemoryEventStore } from './memory/in-memory-event-store.js';
import { inMemoryTransport } from './memory/in-memory-transport.js';
import { type Relay, relay } from './relay.js';
import type { Transport } from './transport.js';

// The law: whatever crashes and faults hit the relay, the transport and the consumer, running the
// pipeline to quiescence applies every routed event's effect exactly once, per stream in version order.
// Faults come from small wrappers around the store and transport (never from production code).
// The in-memory inbox records a message together with its effect (no await in between), which is what
// a transactional store gives; without transactions, effects must be idempotent by message id instead.

type Fault = 'publish-before-ack' | 'publish-after-ack' | 'checkpoint-write' | 'handler';

type Step =
  | { kind: 'append'; stream: number; count: number }
  | { kind: 'relay' }
  | { kind: 'relay-crash'; ticks: number; sameOwner: boolean }
  | { kind: 'consumer-crash'; ticks: number }
  | { kind: 'fault'; fault: Fault }
  | { kind: 'settle'; ticks: number };

const STREAMS = ['user-a', 'user-b', 'order-a', 'order-b', 'audit-a', 'user-c'];
const ROUTES = { user: 'users', order: 'orders' };
const LEASE_TTL_MS = 30_000;
const MAX_HANDLER_FAULTS = 3; // below the consumer's maxAttempts, so an injected fault never dead-letters a message

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      stream: fc.nat(STREAMS.length - 1),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'relay' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('relay-crash' as const), ticks: fc.nat(6), sameOwner: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('consumer-crash' as const), ticks: fc.nat(6) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      fault: fc.constantFrom<Fault>('publish-before-ack', 'publish-after-ack', 'checkpoint-write', 'handler'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('settle' as const), ticks: fc.integer({ min: 1, max: 8 }) }) },
);

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const ticks = async (count: number) => {
  for (let index = 0; index < count; index++) await tick();
};

class Crashed extends Error {}

async function runScenario(steps: readonly Step[], relayBatchSize: number, transportBatchSize: number): Promise<void> {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const store = inMemoryEventStore({ now: () => new Date(now) });
  const transport = inMemoryTransport({ partitions: 3, redeliveryDelayMs: 0, maxBatchSize: transportBatchSize });
  const armed: Record<Fault, number> = { 'publish-before-ack': 0, 'publish-after-ack': 0, 'checkpoint-write': 0, handler: 0 };
  const take = (fault: Fault) => armed[fault] > 0 && armed[fault]-- > 0;
  const effects = new Map<string, number>();
  const applied = new Map<string, number[]>();

  // A relay process: every store and transport call fails once the process has "crashed".
  let relays = 0;
  function startRelay(owner: string): { relay: Relay; crash(): void } {
    const life = { dead: false };
    /** Runs a store call only while the process lives. */
    const live = async <T>(call: () => Promise<T>): Promise<T> => {
      if (life.dead) throw new Crashed('relay process is gone');
      return call();
    };
    const relayStore: EventStore = {
      ...store,
      readAll: (options) => live(() => store.readAll(options)),
      checkpoints: {
        get: (name) => live(() => store.checkpoints.get(name)),
        put: (name, position) =>
          live(async () => {
            if (take('checkpoint-write')) throw new Error('checkpoint write failed');
            return store.checkpoints.put(name, position);
          }),
        delete: (name) => live(() => store.checkpoints.delete(name)),
      },
      leases: {
        acquire: (name, who, ttl) => live(() => store.leases.acquire(name, who, ttl)),
        release: (name, who) => live(() => store.leases.release(name, who)),
        holder: async (name) => store.leases.holder(name),
      },
    };
    const relayTransport: Transport = {
      publish: (topic, messages) =>
        live(async () => {
          if (take('publish-before-ack')) throw new Error('broker refused the batch');
          await transport.publish(topic, messages);
          if (take('publish-after-ack')) throw new Error('acknowledgement lost');
        }),
      subscribe: (options) => transport.subscribe(options),
      close: async () => undefined,
    };
    return {
      relay: relay({
        store: relayStore,
        transport: relayTransport,
        routes: ROUTES,
        owner,
        batchSize: relayBatchSize,
        leaseTtlMs: LEASE_TTL_MS,
        onError: () => undefined,
      }),
      crash: () => {
        life.dead = true;
      },
    };
  }

  // A consumer process: once crashed, its handler, its batches and its dead-letter publishes all fail.
  function startConsumer(): { consumer: Consumer; crash(): Promise<void> } {
    const life = { dead: false };
    const consumerTransport: Transport = {
      publish: async (topic, messages) => {
        if (life.dead) throw new Crashed('consumer process is gone');
        return transport.publish(topic, messages);
      },
      subscribe: (options) =>
        transport.subscribe({
          ...options,
          handler: async (batch) => {
            await options.handler(batch);
            // Handled but not yet committed when the process died: the transport must redeliver.
            if (life.dead) throw new Crashed('consumer process is gone');
          },
        }),
      close: async () => undefined,
    };
    const instance = consumer({
      transport: consumerTransport,
      inbox: store.inbox,
      name: 'effects',
      topics: ['users', 'orders'],
      retry: { maxAttempts: MAX_HANDLER_FAULTS + 2, baseDelayMs: 0, maxDelayMs: 0 },
      handle: async (event: RecordedEvent) => {
        if (life.dead) throw new Crashed('consumer process is gone');
        if (take('handler')) throw new Error('transient handler failure');
        effects.set(event.id, (effects.get(event.id) ?? 0) + 1);
        applied.set(event.streamId, [...(applied.get(event.streamId) ?? []), event.version]);
      },
    });
    return {
      consumer: instance,
      crash: async () => {
        life.dead = true;
        await instance.stop();
      },
    };
  }

  let relayProcess = startRelay(`relay-${relays++}`);
  let consumerProcess = startConsumer();
  await consumerProcess.consumer.start();

  try {
    for (const action of steps) {
      switch (action.kind) {
        case 'append': {
          const stream = STREAMS[action.stream] as string;
          await store.append(
            stream,
            Array.from({ length: action.count }, (_, index) => ({ type: `${stream.split('-')[0]}.changed`, data: { index } })),
          );
          break;
        }
        case 'relay':
          await relayProcess.relay.runOnce().catch(() => undefined);
          break;
        case 'relay-crash': {
          const running = relayProcess.relay.runOnce().catch(() => undefined);
          await ticks(action.ticks);
          relayProcess.crash();
          await running;
          // A restarted process with a new identity waits for the dead one's lease to lapse.
          if (!action.sameOwner) now += LEASE_TTL_MS + 1;
          relayProcess = startRelay(action.sameOwner ? `relay-${relays - 1}` : `relay-${relays++}`);
          break;
        }
        case 'consumer-crash':
          await ticks(action.ticks);
          await consumerProcess.crash();
          consumerProcess = startConsumer();
          await consumerProcess.consumer.start();
          break;
        case 'fault':
          armed[action.fault] = Math.min(armed[action.fault] + 1, action.fault === 'handler' ? MAX_HANDLER_FAULTS : 2);
          break;
        case 'settle':
          await ticks(action.ticks);
          break;
      }
    }

    // Quiescence: no more faults; the relay catches up; the consumer drains every partition.
    for (const fault of Object.keys(armed) as Fault[]) armed[fault] = 0;
    for (let attempt = 0; ; attempt++) {
      const result = await relayProcess.relay.runOnce().catch(() => undefined);
      if (result?.leader === true && (await relayProcess.relay.lag()) === 0n) break;
      if (attempt > 5) throw new Error('the relay did not catch up');
      now += LEASE_TTL_MS + 1;
    }
    const routed = store.allEvents().filter((event) => !event.streamId.startsWith('audit'));
    // Drained = every effect applied, or nothing left uncommitted for a while (then the assertions say what was lost).
    const deadline = Date.now() + 2_000;
    for (let quiet = 0; quiet < 3 && Date.now() < deadline; ) {
      const pending = (await consumerProcess.consumer.lag()).some((lag) => lag.lag > 0);
      if (!pending && routed.every((event) => effects.has(event.id))) break;
      quiet = pending ? 0 : quiet + 1;
      await tick();
    }
    for (const event of routed) expect(effects.get(event.id), `effects of ${event.streamId}@${event.version}`).toBe(1);
    expect(effects.size).toBe(routed.length);
    for (const stream of STREAMS.filter((name) => !name.startsWith('audit'))) {
      const versions = routed.filter((event) => event.streamId === stream).map((event) => event.version);
      expect(applied.get(stream) ?? [], `order of ${stream}`).toEqual(versions);
    }
    expect(transport.messages('users.dlq')).toEqual([]);
    expect(transport.messages('orders.dlq')).toEqual([]);
  } finally {
    await consumerProcess.consumer.stop();
    await transport.close();
  }
}

describe('relay + consumer under crashes and faults', () => {
  it('apply every event exactly once, in stream order (property, 200 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 60, size: 'large' }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        runScenario,
      ),
      { numRuns: 200, verbose: 1 },
    );
  }, 60_000);
});
