import { describe, expect, it } from 'vitest';
import { isConfigurationError } from './errors.js';
import type { RecordedEvent } from './event.js';
import { eventually } from './internal/transport-law-kit.js';
import { inMemoryCheckpointStore } from './memory/in-memory-checkpoint-store.js';
import { inMemoryEventStore } from './memory/in-memory-event-store.js';
import { projection } from './projection.js';

async function setup() {
  const store = inMemoryEventStore();
  await store.append('user-1', [
    { type: 'user.registered', data: { name: 'Ada' } },
    { type: 'user.renamed', data: { name: 'Ada L.' } },
  ]);
  await store.append('audit-1', [{ type: 'audit.logged', data: {} }]);
  await store.append('user-2', [{ type: 'user.registered', data: { name: 'Grace' } }]);
  const names = new Map<string, string>();
  const handlers = {
    'user.registered': async (event: RecordedEvent) => void names.set(event.streamId, (event.data as { name: string }).name),
    'user.renamed': async (event: RecordedEvent) => void names.set(event.streamId, (event.data as { name: string }).name),
  };
  return { store, names, handlers };
}

describe('projection', () => {
  it('feeds events to handlers by type, passes over the rest, and checkpoints', async () => {
    const { store, names, handlers } = await setup();
    const users = projection({ name: 'users', store, handlers });
    const result = await users.runOnce();
    expect(result).toEqual({ handled: 3, checkpoint: await store.headPosition() });
    expect(Object.fromEntries(names)).toEqual({ 'user-1': 'Ada L.', 'user-2': 'Grace' });
    expect(await store.checkpoints.get('projection:users')).toBe(await store.headPosition());
    expect(await users.lag()).toBe(0n);
    expect(await users.runOnce()).toEqual({ handled: 0, checkpoint: await store.headPosition() });
  });

  it('checkpoints per batch, and replays a failed batch (at least once)', async () => {
    const { store, handlers } = await setup();
    const calls: string[] = [];
    let failOn: string | undefined = 'user-2';
    const users = projection({
      name: 'users',
      store,
      batchSize: 2,
      handlers: {
        ...handlers,
        'user.registered': async (event) => {
          calls.push(event.streamId);
          if (event.streamId === failOn) throw new Error('read model down');
        },
      },
    });
    await expect(users.runOnce()).rejects.toThrow(/read model down/);
    const [, second] = await store.readAll();
    expect(await store.checkpoints.get('projection:users')).toBe(second?.position);
    expect(await users.lag()).toBe(2n);
    failOn = undefined;
    await users.runOnce();
    expect(calls).toEqual(['user-1', 'user-2', 'user-2']);
    expect(await users.lag()).toBe(0n);
  });

  it('rebuilds: resets the read model, forgets the checkpoint and replays everything', async () => {
    const { store, names, handlers } = await setup();
    const steps: string[] = [];
    const users = projection({
      name: 'users',
      store,
      handlers,
      reset: async () => {
        steps.push(`reset with checkpoint ${String(await store.checkpoints.get('projection:users'))}`);
        names.clear();
      },
    });
    await users.runOnce();
    names.set('user-1', 'tampered');
    const result = await users.rebuild();
    expect(steps).toEqual([`reset with checkpoint ${String(await store.headPosition())}`]);
    expect(result.handled).toBe(3);
    expect(Object.fromEntries(names)).toEqual({ 'user-1': 'Ada L.', 'user-2': 'Grace' });
  });

  it('wraps each batch, handlers and checkpoint write, in the transaction hook', async () => {
    const { store, handlers } = await setup();
    const log: string[] = [];
    const users = projection({
      name: 'users',
      store: {
        ...store,
        checkpoints: {
          ...store.checkpoints,
          put: async (name, position) => {
            log.push(`checkpoint ${position}`);
            return store.checkpoints.put(name, position);
          },
        },
      },
      batchSize: 3,
      handlers: { 'user.registered': async (event) => void log.push(`handle ${event.streamId}`), 'user.renamed': handlers['user.renamed'] },
      transaction: async (work) => {
        log.push('begin');
        await work();
        log.push('commit');
      },
    });
    await users.runOnce();
    expect(log).toEqual(['begin', 'handle user-1', 'checkpoint 3', 'commit', 'begin', 'handle user-2', 'checkpoint 4', 'commit']);
  });

  it('follows appends in the background and keeps running across a rebuild', async () => {
    const { store, names, handlers } = await setup();
    const users = projection({ name: 'users', store, handlers, pollIntervalMs: 60_000, reset: async () => names.clear() });
    users.start();
    await eventually('the backlog is handled', 1_000, () => names.size === 2);
    await store.append('user-3', [{ type: 'user.registered', data: { name: 'Linus' } }]);
    await eventually('the new event is handled', 1_000, () => names.get('user-3') === 'Linus');
    await users.rebuild();
    expect(names.size).toBe(3);
    await store.append('user-4', [{ type: 'user.registered', data: { name: 'Barbara' } }]);
    await eventually('the loop still runs after the rebuild', 1_000, () => names.get('user-4') === 'Barbara');
    await users.stop();
    await store.append('user-5', [{ type: 'user.registered', data: { name: 'Ken' } }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(names.has('user-5')).toBe(false);
  });

  it('rejects missing and invalid options with ConfigurationError', async () => {
    const { store, handlers } = await setup();
    for (const [options, message] of [
      [{ name: 'p', store, handlers: {} }, /Option `handlers` is required/],
      [{ name: 'p', store, handlers: { 'user.registered': 'nope' } }, /Option `handlers.user.registered` must be a function/],
      [{ name: '', store, handlers }, /Option `name` must be a non-empty string/],
      [{ name: 'p', handlers }, /Option `store` is required/],
      [{ name: 'p', store, handlers, batchSize: -1 }, /Option `batchSize` must be an integer >= 1/],
    ] as const) {
      let caught: unknown;
      try {
        projection(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isConfigurationError(caught)).toBe(true);
      expect(String(caught)).toMatch(message);
    }
  });
});

describe('projection checkpoints option', () => {
  it('keeps the checkpoint where it is told, not in the store', async () => {
    const store = inMemoryEventStore();
    await store.append('thing-1', [{ type: 'thing.made', data: {} }]);
    const ownCheckpoints = inMemoryCheckpointStore();
    const seen: string[] = [];
    const things = projection({
      name: 'things',
      store,
      checkpoints: ownCheckpoints,
      handlers: { 'thing.made': async (event) => void seen.push(event.id) },
    });
    await things.runOnce();
    expect(seen).toHaveLength(1);
    expect(await ownCheckpoints.get('projection:things')).toBe(1n);
    expect(await store.checkpoints.get('projection:things')).toBeUndefined();
  });
});
