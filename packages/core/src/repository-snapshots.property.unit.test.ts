import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AccountCommand, account } from '../test/fixtures.js';
import { inMemoryEventStore } from './memory/in-memory-event-store.js';
import { repository } from './repository.js';
import { everyNEvents } from './snapshot-policy.js';

const NUM_RUNS = 200;

const command: fc.Arbitrary<AccountCommand> = fc.oneof(
  fc.record({ type: fc.constant('deposit' as const), amount: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ type: fc.constant('withdraw' as const), amount: fc.integer({ min: 1, max: 100 }) }),
);

describe('snapshot equivalence (property)', () => {
  it(`loading from snapshots equals replaying the full history (${NUM_RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 60 }), fc.integer({ min: 1, max: 15 }), async (commands, every) => {
        const store = inMemoryEventStore();
        const withSnapshots = repository(account, { store, snapshots: everyNEvents(every) });
        const fromHistory = repository(account, { store, snapshots: false });
        for (const next of commands) await withSnapshots.execute('p', next).catch(() => undefined); // rejected withdrawals are part of the history too
        await new Promise((resolve) => setImmediate(resolve));

        const snapshotted = await withSnapshots.load('p');
        const replayed = await fromHistory.load('p');
        expect(snapshotted.state).toEqual(replayed.state);
        expect(snapshotted.version).toBe(replayed.version);
        // The snapshot path was really taken whenever the policy asked for one.
        if (replayed.version > every) expect(snapshotted.snapshotVersion).toBeGreaterThan(0);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
