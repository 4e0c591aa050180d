import { describe, expect, it } from 'vitest';
import { isConfigurationError } from '../errors.js';
import { START } from '../position.js';
import { inMemoryEventStore } from './in-memory-event-store.js';

// The contract itself is proven by in-memory-event-store.contract.int.test.ts; these tests
// cover what only the in-memory store has: a fresh, empty state, the injected clock, frozen
// results, allEvents(), and when listeners run.

const event = (data: unknown = {}) => ({ type: 'item.created', data });

describe('inMemoryEventStore', () => {
  it('starts empty: head at START, nothing to read', async () => {
    const store = inMemoryEventStore();
    expect(await store.headPosition()).toBe(START);
    expect(await store.readAll()).toEqual([]);
    expect(store.allEvents()).toEqual([]);
  });

  it('numbers positions 1, 2, 3… in append order and lists every event in allEvents()', async () => {
    const store = inMemoryEventStore();
    await store.append('a-1', [event(), event()]);
    await store.append('b-1', [event()]);
    expect(store.allEvents().map((recorded) => [recorded.streamId, recorded.version, recorded.position])).toEqual([
      ['a-1', 1, 1n],
      ['a-1', 2, 2n],
      ['b-1', 1, 3n],
    ]);
    expect(await store.headPosition()).toBe(3n);
    expect((await store.readAll({ after: -5n })).length).toBe(3);
    expect(await store.readAll({ after: 3n })).toEqual([]);
  });

  it('stamps recordedAt from the injected clock, once per append, and expires leases on it', async () => {
    let now = Date.UTC(2026, 0, 1);
    const store = inMemoryEventStore({ now: () => new Date(now) });
    const first = await store.append('a-1', [event(), event()]);
    now += 1_000;
    const second = await store.append('a-1', [event()]);
    expect(first.events.map((recorded) => recorded.recordedAt.getTime())).toEqual([Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1)]);
    expect(second.events[0]?.recordedAt.getTime()).toBe(Date.UTC(2026, 0, 1) + 1_000);

    await store.leases.acquire('relay', 'a', 500);
    now += 499;
    expect((await store.leases.holder('relay'))?.owner).toBe('a');
    now += 1;
    expect(await store.leases.holder('relay')).toBeUndefined();
  });

  it('returns frozen events, so a reader cannot change what the store holds', async () => {
    const store = inMemoryEventStore();
    await store.append('a-1', [event({ nested: { list: [1] } })]);
    const [recorded] = await store.readStream('a-1');
    expect(Object.isFrozen(recorded)).toBe(true);
    expect(() => {
      (recorded as { data: { nested: { list: number[] } } }).data.nested.list.push(2);
    }).toThrow(TypeError);
    expect((await store.readStream('a-1'))[0]?.data).toEqual({ nested: { list: [1] } });
  });

  it('calls listeners after the append resolves, not during it, and isolates one that throws', async () => {
    const store = inMemoryEventStore();
    const calls: string[] = [];
    store.onAppend(() => {
      calls.push('throwing');
      throw new Error('faulty listener');
    });
    store.onAppend(() => calls.push('second'));
    const appending = store.append('a-1', [event()]);
    expect(calls).toEqual([]);
    await appending;
    await Promise.resolve();
    expect(calls).toEqual(['throwing', 'second']);
  });

  it('rejects every use after close with a ConfigurationError and drops its listeners', async () => {
    const store = inMemoryEventStore();
    let calls = 0;
    store.onAppend(() => calls++);
    await store.close();
    for (const use of [
      () => store.append('a-1', [event()]),
      () => store.readStream('a-1'),
      () => store.readAll(),
      () => store.headPosition(),
    ]) {
      const error = await use().catch((caught: unknown) => caught);
      expect(isConfigurationError(error)).toBe(true);
    }
    await store.close();
    expect(calls).toBe(0);
  });
});

describe('read options', () => {
  it('rejects malformed readStream and readAll options with a ValidationError', async () => {
    const store = inMemoryEventStore();
    await expect(store.readStream('s-1', { limit: -1 })).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ path: ['limit'] }] });
    await expect(store.readStream('s-1', { fromVersion: 1.5 })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: ['fromVersion'] }],
    });
    await expect(store.readStream('s-1', { direction: 'sideways' as 'forward' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(store.readAll({ limit: Number.NaN })).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ path: ['limit'] }] });
    await expect(store.readAll({ after: 3 as unknown as bigint })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: ['after'] }],
    });
  });
});
