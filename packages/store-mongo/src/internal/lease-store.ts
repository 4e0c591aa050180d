import { type Lease, type LeaseStore, ValidationError } from '@eventfold/core';
import { classifyMongoError, isDuplicateKeyError } from '../classify-error.js';
import type { MongoCollectionLike, MongoDocument } from '../mongo-client-like.js';

// A few rounds are enough: losing a round means another owner took a term, and the next round sees it.
const MAX_ROUNDS = 5;

interface Term {
  readonly term: number;
  readonly owner: string | undefined;
  readonly expiresAt: Date;
}

/**
 * Leases as a chain of terms, one document per (name, term): `{ _id, n, k, o, x }`. Taking,
 * renewing or releasing a lease inserts the next term; the unique `_id` lets exactly one writer
 * have each term. Nothing is ever updated in place, because FerretDB does not apply concurrent
 * updates of one document atomically (a compare-and-set lease would let two owners in). The holder
 * is the newest term, unless it is released or expired. Older terms are deleted after each insert.
 *
 * Expiry is judged by each process's own clock: keep hosts in sync (NTP) and ttls well above the skew.
 */
export function mongoLeaseStore(collection: MongoCollectionLike, ready: () => Promise<void>, now: () => Date): LeaseStore {
  const keyOf = (name: string, term: number) => JSON.stringify([name, term]);

  async function latest(name: string): Promise<Term | undefined> {
    const [found] = await collection.find({ n: name }, { sort: { n: 1, k: -1 }, limit: 1 }).toArray();
    if (found === undefined) return undefined;
    return { term: Number(found.k), owner: typeof found.o === 'string' ? found.o : undefined, expiresAt: found.x as Date };
  }

  function live(term: Term | undefined, at: Date): term is Term & { owner: string } {
    return term !== undefined && term.owner !== undefined && term.expiresAt.getTime() > at.getTime();
  }

  /** Inserts the term after `current`; false when another writer took it first. */
  async function claim(name: string, current: Term | undefined, fields: MongoDocument): Promise<boolean> {
    const term = (current?.term ?? 0) + 1;
    try {
      await collection.insertOne({ _id: keyOf(name, term), n: name, k: term, ...fields });
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
    await collection.deleteMany({ n: name, k: { $lt: term } }).catch(() => undefined);
    return true;
  }

  return {
    async acquire(name, owner, ttlMs) {
      if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
        throw new ValidationError('Invalid lease', [{ message: `ttlMs must be a positive number, got ${ttlMs}`, path: ['ttlMs'] }]);
      }
      await ready();
      try {
        for (let round = 0; round < MAX_ROUNDS; round++) {
          const current = await latest(name);
          const at = now();
          if (live(current, at) && current.owner !== owner) return undefined;
          const lease: Lease = { name, owner, expiresAt: new Date(at.getTime() + ttlMs) };
          if (await claim(name, current, { o: owner, x: lease.expiresAt })) return lease;
        }
        return undefined;
      } catch (error) {
        throw classifyMongoError(error, `acquire lease "${name}"`);
      }
    },
    async release(name, owner) {
      await ready();
      try {
        const current = await latest(name);
        if (current?.owner !== owner) return;
        // Losing this race means someone else took the lease after ours: nothing left to release.
        await claim(name, current, { o: null, x: now() });
      } catch (error) {
        throw classifyMongoError(error, `release lease "${name}"`);
      }
    },
    async holder(name) {
      await ready();
      try {
        const current = await latest(name);
        return live(current, now()) ? { name, owner: current.owner, expiresAt: current.expiresAt } : undefined;
      } catch (error) {
        throw classifyMongoError(error, `read lease "${name}"`);
      }
    },
  };
}
