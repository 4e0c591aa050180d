import { ValidationError } from '../errors.js';
import type { Lease, LeaseStore } from '../lease-store.js';

/** A {@link LeaseStore} in memory, on an injectable clock. */
export function inMemoryLeaseStore(options: { now?: () => Date } = {}): LeaseStore {
  const now = options.now ?? (() => new Date());
  const leases = new Map<string, Lease>();

  function current(name: string): Lease | undefined {
    const lease = leases.get(name);
    return lease !== undefined && lease.expiresAt.getTime() > now().getTime() ? lease : undefined;
  }

  return {
    async acquire(name, owner, ttlMs) {
      if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
        throw new ValidationError('Invalid lease', [{ message: `ttlMs must be a positive number, got ${ttlMs}`, path: ['ttlMs'] }]);
      }
      const held = current(name);
      if (held !== undefined && held.owner !== owner) return undefined;
      const lease: Lease = { name, owner, expiresAt: new Date(now().getTime() + ttlMs) };
      leases.set(name, lease);
      return lease;
    },
    async release(name, owner) {
      if (leases.get(name)?.owner === owner) leases.delete(name);
    },
    async holder(name) {
      return current(name);
    },
  };
}
