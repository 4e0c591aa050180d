/** A time-limited claim on a named role, held by one owner at a time. */
export interface Lease {
  readonly name: string;
  readonly owner: string;
  readonly expiresAt: Date;
}

/**
 * Leases let exactly one of several processes act as, say, the relay named `outbox`.
 * A lease that is not renewed before it expires can be taken by another owner.
 */
export interface LeaseStore {
  /** Takes or renews the lease for `owner`. Returns the lease, or `undefined` when someone else holds it. */
  acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Gives the lease up if `owner` holds it. */
  release(name: string, owner: string): Promise<void>;
  /** The current holder, if the lease is held and unexpired. */
  holder(name: string): Promise<Lease | undefined>;
}
