import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidationError } from '../errors.js';
import type { Snapshot } from '../snapshot-store.js';
import { inMemorySnapshotStore } from './in-memory-snapshot-store.js';

const snapshot = (version: number, state: unknown = { version }, schemaVersion = 1): Snapshot => ({
  streamId: 'account-1',
  version,
  schemaVersion,
  state,
  takenAt: new Date(1_700_000_000_000 + version),
});

describe('inMemorySnapshotStore', () => {
  it('keeps the snapshot of the highest version; an equal version replaces, an older one is ignored', async () => {
    const snapshots = inMemorySnapshotStore();
    expect(await snapshots.get('account-1')).toBeUndefined();
    await snapshots.put(snapshot(4));
    await snapshots.put(snapshot(2));
    expect(await snapshots.get('account-1')).toEqual(snapshot(4));
    await snapshots.put(snapshot(4, 'rebuilt', 2));
    expect(await snapshots.get('account-1')).toEqual(snapshot(4, 'rebuilt', 2));
    await snapshots.delete('account-1');
    expect(await snapshots.get('account-1')).toBeUndefined();
  });

  it('law: after any sequence of puts, get returns the last put among those of the highest version', async () => {
    const put = fc.tuple(fc.nat({ max: 5 }), fc.integer());
    await fc.assert(
      fc.asyncProperty(fc.array(put, { minLength: 1, maxLength: 15 }), async (puts) => {
        const snapshots = inMemorySnapshotStore();
        for (const [version, state] of puts) await snapshots.put(snapshot(version, state));
        const highest = Math.max(...puts.map(([version]) => version));
        const [, state] = puts.filter(([version]) => version === highest).at(-1) as [number, number];
        expect(await snapshots.get('account-1')).toEqual(snapshot(highest, state));
      }),
      { numRuns: 100 },
    );
  });

  it('stores a frozen copy: later changes to the state or date passed in do not leak in', async () => {
    const snapshots = inMemorySnapshotStore();
    const state = { items: [1] };
    const input = snapshot(1, state);
    await snapshots.put(input);
    state.items.push(2);
    input.takenAt.setTime(0);
    const stored = (await snapshots.get('account-1')) as Snapshot<{ items: number[] }>;
    expect(stored.state).toEqual({ items: [1] });
    expect(stored.takenAt.getTime()).toBe(1_700_000_000_001);
    expect(Object.isFrozen(stored)).toBe(true);
    expect(Object.isFrozen(stored.state.items)).toBe(true);
  });

  it('rejects a state that JSON cannot hold with a ValidationError at path state', async () => {
    const snapshots = inMemorySnapshotStore();
    const error = await snapshots.put(snapshot(1, { amount: 1n })).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    expect((error as { issues: unknown[] }).issues).toEqual([expect.objectContaining({ path: ['state'] })]);
    expect(await snapshots.get('account-1')).toBeUndefined();
  });
});
