import { describe, expect, it } from 'vitest';
import type { InboxOutcome } from '../../inbox.js';
import type { Snapshot } from '../../snapshot-store.js';
import { someEvents } from './append-laws.js';
import { type ConformanceContext, expectEventfoldError, namespace, sleep } from './conformance-context.js';

function snapshotOf(streamId: string, version: number, schemaVersion = 1, state: unknown = { version }): Snapshot {
  return { streamId, version, schemaVersion, state, takenAt: new Date(Date.UTC(2026, 0, 1, 12, 0, 0, version)) };
}

export function describeSideStoreLaws(context: ConformanceContext): void {
  const { timeoutMs } = context.options;

  describe('snapshots', () => {
    it(
      'get returns undefined for a stream without a snapshot; put then get round-trips every field',
      async () => {
        const { snapshots } = context.store();
        const streamId = `${namespace()}-1`;
        expect(await snapshots.get(streamId)).toBeUndefined();
        const snapshot = snapshotOf(streamId, 7, 2, { name: 'Ada', tags: ['a', 'b'], nested: { n: 1.5, none: null } });
        await snapshots.put(snapshot);
        const read = await snapshots.get(streamId);
        expect(read).toEqual(snapshot);
        expect(read?.takenAt).toBeInstanceOf(Date);
        expect(await snapshots.get(`${streamId}x`)).toBeUndefined();
      },
      timeoutMs,
    );

    it(
      'keeps its own copy: changing the state or takenAt after put changes nothing stored',
      async () => {
        const { snapshots } = context.store();
        const streamId = `${namespace()}-1`;
        const state = { items: ['a'] };
        const snapshot = snapshotOf(streamId, 1, 1, state);
        const takenAt = snapshot.takenAt.getTime();
        await snapshots.put(snapshot);
        state.items.push('b');
        snapshot.takenAt.setTime(0);
        const read = await snapshots.get(streamId);
        expect(read?.state).toEqual({ items: ['a'] });
        expect(read?.takenAt.getTime()).toBe(takenAt);
      },
      timeoutMs,
    );

    it(
      'a newer snapshot replaces an older one, an older put is ignored, an equal version replaces',
      async () => {
        const { snapshots } = context.store();
        const streamId = `${namespace()}-1`;
        await snapshots.put(snapshotOf(streamId, 5));
        await snapshots.put(snapshotOf(streamId, 9, 1, 'nine'));
        expect(await snapshots.get(streamId)).toEqual(snapshotOf(streamId, 9, 1, 'nine'));
        await snapshots.put(snapshotOf(streamId, 6, 1, 'six'));
        expect(await snapshots.get(streamId)).toEqual(snapshotOf(streamId, 9, 1, 'nine'));
        await snapshots.put(snapshotOf(streamId, 9, 2, 'nine again'));
        expect(await snapshots.get(streamId)).toEqual(snapshotOf(streamId, 9, 2, 'nine again'));
      },
      timeoutMs,
    );

    it(
      'racing puts keep the snapshot of the highest version',
      async () => {
        const { snapshots } = context.store();
        const streamId = `${namespace()}-1`;
        const versions = Array.from({ length: context.options.concurrency * 2 }, (_, index) => ((index * 7) % 13) + 1);
        await Promise.all(versions.map((version) => snapshots.put(snapshotOf(streamId, version))));
        expect((await snapshots.get(streamId))?.version).toBe(Math.max(...versions));
      },
      timeoutMs,
    );

    it(
      'delete removes a snapshot; deleting a missing one is fine; streams are independent',
      async () => {
        const { snapshots } = context.store();
        const ns = namespace();
        await snapshots.put(snapshotOf(`${ns}-1`, 3));
        await snapshots.put(snapshotOf(`${ns}-2`, 4));
        await snapshots.delete(`${ns}-1`);
        await snapshots.delete(`${ns}-1`);
        await snapshots.delete(`${ns}-missing`);
        expect(await snapshots.get(`${ns}-1`)).toBeUndefined();
        expect(await snapshots.get(`${ns}-2`)).toEqual(snapshotOf(`${ns}-2`, 4));
        await snapshots.put(snapshotOf(`${ns}-1`, 1));
        expect((await snapshots.get(`${ns}-1`))?.version).toBe(1);
      },
      timeoutMs,
    );

    it(
      'a state that is not JSON is a ValidationError',
      async () => {
        const { snapshots } = context.store();
        const streamId = `${namespace()}-1`;
        await expectEventfoldError(snapshots.put(snapshotOf(streamId, 1, 1, { big: 1n })), 'VALIDATION');
        expect(await snapshots.get(streamId)).toBeUndefined();
      },
      timeoutMs,
    );
  });

  describe('checkpoints', () => {
    it(
      'get returns undefined for an unknown name; put replaces (forward or back); delete forgets',
      async () => {
        const { checkpoints } = context.store();
        const name = namespace();
        expect(await checkpoints.get(name)).toBeUndefined();
        await checkpoints.put(name, 10n);
        expect(await checkpoints.get(name)).toBe(10n);
        await checkpoints.put(name, 25n);
        expect(await checkpoints.get(name)).toBe(25n);
        await checkpoints.put(name, 3n);
        expect(await checkpoints.get(name)).toBe(3n);
        await checkpoints.delete(name);
        expect(await checkpoints.get(name)).toBeUndefined();
        await checkpoints.delete(name);
        await checkpoints.put(name, 0n);
        expect(await checkpoints.get(name)).toBe(0n);
      },
      timeoutMs,
    );

    it(
      'round-trips positions as bigint, including values beyond 2^53 up to 2^63 - 1',
      async () => {
        const { checkpoints } = context.store();
        const ns = namespace();
        const positions = [1n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 62n + 12_345n, 2n ** 63n - 1n];
        await Promise.all(positions.map((position, index) => checkpoints.put(`${ns}-${index}`, position)));
        for (const [index, position] of positions.entries()) {
          const read = await checkpoints.get(`${ns}-${index}`);
          expect(typeof read).toBe('bigint');
          expect(read).toBe(position);
        }
      },
      timeoutMs,
    );

    it(
      'a position stored by one writer is read by the next reader of the store',
      async () => {
        const store = context.store();
        const name = namespace();
        const { position } = await store.append(`${name}-1`, someEvents(1));
        await store.checkpoints.put(name, position);
        expect(await store.checkpoints.get(name)).toBe(position);
      },
      timeoutMs,
    );
  });

  describe('inbox', () => {
    it(
      'runOnce runs the work once; a repeat is a duplicate that does not run it',
      async () => {
        const { inbox } = context.store();
        const consumer = namespace();
        let runs = 0;
        const work = async () => {
          runs++;
        };
        expect(await inbox.has(consumer, 'm-1')).toBe(false);
        expect(await inbox.runOnce(consumer, 'm-1', work)).toBe('processed');
        expect(await inbox.has(consumer, 'm-1')).toBe(true);
        expect(await inbox.runOnce(consumer, 'm-1', work)).toBe('duplicate');
        expect(runs).toBe(1);
        expect(await inbox.runOnce(consumer, 'm-2', work)).toBe('processed');
        expect(runs).toBe(2);
      },
      timeoutMs,
    );

    it(
      'concurrent runOnce calls for one message run the work once',
      async () => {
        const { inbox } = context.store();
        const consumer = namespace();
        let runs = 0;
        const work = async () => {
          runs++;
          await sleep(20);
        };
        const outcomes = await Promise.all(Array.from({ length: context.options.concurrency }, () => inbox.runOnce(consumer, 'm-1', work)));
        expect(runs).toBe(1);
        expect(outcomes.filter((outcome) => outcome === 'processed')).toHaveLength(1);
        expect(outcomes.filter((outcome: InboxOutcome) => outcome === 'duplicate')).toHaveLength(outcomes.length - 1);
        expect(await inbox.has(consumer, 'm-1')).toBe(true);
      },
      timeoutMs,
    );

    it(
      'work that throws records nothing, propagates its error, and can be retried',
      async () => {
        const { inbox } = context.store();
        const consumer = namespace();
        const failure = new Error('handler failed');
        let runs = 0;
        await expect(
          inbox.runOnce(consumer, 'm-1', async () => {
            runs++;
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await inbox.has(consumer, 'm-1')).toBe(false);
        expect(
          await inbox.runOnce(consumer, 'm-1', async () => {
            runs++;
          }),
        ).toBe('processed');
        expect(runs).toBe(2);
        expect(await inbox.has(consumer, 'm-1')).toBe(true);
      },
      timeoutMs,
    );

    it(
      'different consumers keep separate records of the same message',
      async () => {
        const { inbox } = context.store();
        const ns = namespace();
        let runs = 0;
        const work = async () => {
          runs++;
        };
        expect(await inbox.runOnce(`${ns}-a`, 'm-1', work)).toBe('processed');
        expect(await inbox.has(`${ns}-b`, 'm-1')).toBe(false);
        expect(await inbox.runOnce(`${ns}-b`, 'm-1', work)).toBe('processed');
        expect(await inbox.runOnce(`${ns}-a`, 'm-1', work)).toBe('duplicate');
        expect(runs).toBe(2);
      },
      timeoutMs,
    );
  });

  describe('inbox.runBatch (runs only when the inbox has runBatch)', () => {
    /** The inbox's runBatch, or a skip with the reason for inboxes without one. */
    function batchInbox(run: { skip(note: string): void }) {
      const { inbox } = context.store();
      if (inbox.runBatch === undefined) run.skip('skipped: the inbox has no runBatch');
      return inbox as Required<typeof inbox>;
    }

    it(
      'runs the work once with the indexes of the ids not processed yet, and records them; repeats are duplicates',
      async (run) => {
        const inbox = batchInbox(run);
        const consumer = namespace();
        expect(await inbox.runOnce(consumer, 'm-2', async () => undefined)).toBe('processed');
        const calls: (readonly number[])[] = [];
        const work = async (fresh: readonly number[]) => {
          calls.push(fresh);
        };
        const ids = ['m-1', 'm-2', 'm-3', 'm-1'];
        expect(await inbox.runBatch(consumer, ids, work)).toEqual(['processed', 'duplicate', 'processed', 'duplicate']);
        expect(calls).toEqual([[0, 2]]);
        expect(await Promise.all(['m-1', 'm-2', 'm-3', 'm-4'].map((id) => inbox.has(consumer, id)))).toEqual([true, true, true, false]);
        expect(await inbox.runBatch(consumer, ids, work)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
        expect(await inbox.runBatch(consumer, [], work)).toEqual([]);
        expect(calls).toEqual([[0, 2]]);
      },
      timeoutMs,
    );

    it(
      'records nothing when a work call throws, propagates its error, and can be retried',
      async (run) => {
        const inbox = batchInbox(run);
        const consumer = namespace();
        const failure = new Error('handler failed');
        const ids = ['m-1', 'm-2', 'm-3'];
        await expect(
          inbox.runBatch(consumer, ids, async () => {
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await Promise.all(ids.map((id) => inbox.has(consumer, id)))).toEqual([false, false, false]);
        expect(await inbox.runBatch(consumer, ids, async () => undefined)).toEqual(['processed', 'processed', 'processed']);
        expect(await Promise.all(ids.map((id) => inbox.has(consumer, id)))).toEqual([true, true, true]);
      },
      timeoutMs,
    );

    it(
      'concurrent runBatch and runOnce calls sharing ids, in any order, run the work of each id once',
      async (run) => {
        const inbox = batchInbox(run);
        const consumer = namespace();
        const ids = ['m-1', 'm-2', 'm-3', 'm-4', 'm-5'];
        const runs = new Map<string, number>();
        const ran = async (id: string) => {
          runs.set(id, (runs.get(id) ?? 0) + 1);
          await sleep(2);
        };
        // Overlapping batches in opposite orders: a store that locks ids in batch order would deadlock.
        const calls = Array.from({ length: context.options.concurrency }, (_, call) => {
          if (call % 3 === 2) {
            const id = ids[call % ids.length] as string;
            return inbox.runOnce(consumer, id, () => ran(id)).then((outcome) => [outcome]);
          }
          const batch = call % 3 === 0 ? ids : [...ids].reverse();
          return inbox.runBatch(consumer, batch, async (fresh) => {
            for (const index of fresh) await ran(batch[index] as string);
          });
        });
        const outcomes = (await Promise.all(calls)).flat();
        expect(Object.fromEntries(runs)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
        expect(outcomes.filter((outcome) => outcome === 'processed')).toHaveLength(ids.length);
      },
      timeoutMs,
    );
  });

  describe('leases', () => {
    it(
      'one owner at a time: acquire, refuse another owner, renew, release',
      async () => {
        const { leases } = context.store();
        const name = namespace();
        expect(await leases.holder(name)).toBeUndefined();
        const lease = await leases.acquire(name, 'owner-a', 30_000);
        expect(lease?.name).toBe(name);
        expect(lease?.owner).toBe('owner-a');
        expect(lease?.expiresAt).toBeInstanceOf(Date);
        expect(Math.abs((lease?.expiresAt.getTime() ?? 0) - (Date.now() + 30_000))).toBeLessThan(context.options.clockSkewMs);
        expect((await leases.holder(name))?.owner).toBe('owner-a');

        expect(await leases.acquire(name, 'owner-b', 30_000)).toBeUndefined();
        expect((await leases.holder(name))?.owner).toBe('owner-a');

        const renewed = await leases.acquire(name, 'owner-a', 60_000);
        expect(renewed?.owner).toBe('owner-a');
        expect(renewed?.expiresAt.getTime()).toBeGreaterThan(lease?.expiresAt.getTime() ?? Number.POSITIVE_INFINITY);

        await leases.release(name, 'owner-b');
        expect((await leases.holder(name))?.owner).toBe('owner-a');
        await leases.release(name, 'owner-a');
        expect(await leases.holder(name)).toBeUndefined();
        expect((await leases.acquire(name, 'owner-b', 30_000))?.owner).toBe('owner-b');
        await leases.release(name, 'owner-b');
      },
      timeoutMs,
    );

    it(
      'racing owners: exactly one gets the lease',
      async () => {
        const { leases } = context.store();
        const name = namespace();
        const owners = Array.from({ length: context.options.concurrency }, (_, index) => `owner-${index}`);
        const leasesTaken = await Promise.all(owners.map((owner) => leases.acquire(name, owner, 30_000)));
        const winners = leasesTaken.filter((lease) => lease !== undefined);
        expect(winners).toHaveLength(1);
        expect((await leases.holder(name))?.owner).toBe(winners[0]?.owner);
      },
      timeoutMs,
    );

    it(
      `a lease that is not renewed expires after its ttl (${context.options.leaseTtlMs} ms) and another owner can take it`,
      async () => {
        const { leases } = context.store();
        const name = namespace();
        const ttl = context.options.leaseTtlMs;
        const acquiredAt = Date.now();
        expect((await leases.acquire(name, 'owner-a', ttl))?.owner).toBe('owner-a');
        const early = await leases.acquire(name, 'owner-b', ttl);
        // Only a stall longer than the ttl (a loaded machine) may let owner-b in this early.
        if (Date.now() - acquiredAt < ttl) expect(early).toBeUndefined();
        if (early !== undefined) await leases.release(name, 'owner-b');
        await sleep(ttl + Math.max(100, ttl));
        expect(await leases.holder(name)).toBeUndefined();
        expect((await leases.acquire(name, 'owner-b', 30_000))?.owner).toBe('owner-b');
        expect((await leases.holder(name))?.owner).toBe('owner-b');
        await leases.release(name, 'owner-b');
      },
      timeoutMs,
    );

    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      it(
        `ttlMs ${ttl} is a ValidationError`,
        async () => {
          const { leases } = context.store();
          const name = namespace();
          await expectEventfoldError(leases.acquire(name, 'owner-a', ttl), 'VALIDATION');
          expect(await leases.holder(name)).toBeUndefined();
        },
        timeoutMs,
      );
    }
  });

  describe('close', () => {
    it(
      'close resolves, can be called again, and the store rejects use afterwards with an EventfoldError',
      async () => {
        const store = await context.openStore();
        try {
          await store.append(`${namespace()}-1`, someEvents(1));
          await store.close();
          await store.close();
          await expectEventfoldError(store.append(`${namespace()}-1`, someEvents(1)), 'CONFIGURATION');
        } finally {
          await store.close().catch(() => undefined);
        }
      },
      timeoutMs,
    );
  });
}
