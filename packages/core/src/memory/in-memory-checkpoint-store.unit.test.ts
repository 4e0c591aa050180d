import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inMemoryCheckpointStore } from './in-memory-checkpoint-store.js';

describe('inMemoryCheckpointStore', () => {
  it('stores, replaces and forgets positions by name', async () => {
    const checkpoints = inMemoryCheckpointStore();
    expect(await checkpoints.get('relay')).toBeUndefined();
    await checkpoints.put('relay', 7n);
    await checkpoints.put('projection', 3n);
    await checkpoints.put('relay', 2n);
    expect(await checkpoints.get('relay')).toBe(2n);
    expect(await checkpoints.get('projection')).toBe(3n);
    await checkpoints.delete('relay');
    expect(await checkpoints.get('relay')).toBeUndefined();
    expect(await checkpoints.get('projection')).toBe(3n);
  });

  it('law: the last put of each name wins, exactly, for any bigint position', async () => {
    const write = fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.bigInt({ min: 0n, max: 2n ** 64n }));
    await fc.assert(
      fc.asyncProperty(fc.array(write, { maxLength: 20 }), async (writes) => {
        const checkpoints = inMemoryCheckpointStore();
        const model = new Map<string, bigint>();
        for (const [name, position] of writes) {
          await checkpoints.put(name, position);
          model.set(name, position);
        }
        for (const name of ['a', 'b', 'c']) expect(await checkpoints.get(name)).toBe(model.get(name));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps separate instances separate', async () => {
    const one = inMemoryCheckpointStore();
    const two = inMemoryCheckpointStore();
    await one.put('relay', 1n);
    expect(await two.get('relay')).toBeUndefined();
  });
});
