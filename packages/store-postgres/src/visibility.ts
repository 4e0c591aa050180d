import type { Position } from '@eventfold/core';

/**
 * How far `readAll` lags behind the newest committed event. Readers stop at the oldest
 * transaction still running anywhere in the cluster, so events committed after it wait for it.
 */
export interface VisibilityLag {
  /** The newest position readers can see now (what `headPosition()` returns). */
  readonly visiblePosition: Position;
  /** The newest committed position, visible or not. */
  readonly newestPosition: Position;
  /** Committed events readers cannot see yet. 0 when nothing is held back. */
  readonly hiddenEvents: number;
  /** How long ago the oldest hidden event's transaction started, in ms; 0 when nothing is hidden. */
  readonly oldestHiddenAgeMs: number;
}

/**
 * A transaction that holds readers back: it has a transaction id older than the newest committed
 * event, so everything committed after it waits until it ends. Fields come from
 * `pg_stat_activity` (or `pg_prepared_xacts` for a prepared transaction); without the
 * `pg_read_all_stats` role, `query` of another role's session reads `<insufficient privilege>`.
 */
export interface VisibilityBlocker {
  /** The transaction's 64-bit id (`xid8`). */
  readonly transactionId: bigint;
  /** Backend process id, for `pg_terminate_backend(pid)`; undefined for a prepared transaction. */
  readonly pid: number | undefined;
  /** The global id of a prepared (two-phase) transaction. */
  readonly preparedTransaction: string | undefined;
  readonly database: string | undefined;
  readonly user: string | undefined;
  readonly applicationName: string | undefined;
  readonly clientAddress: string | undefined;
  /** `active`, `idle in transaction`, … */
  readonly state: string | undefined;
  readonly transactionStartedAt: Date | undefined;
  /** How long the transaction has been open, in ms. */
  readonly transactionAgeMs: number | undefined;
  /** Its current or last statement. */
  readonly query: string | undefined;
  /** What it waits for, e.g. `Lock:advisory` or `Client:ClientRead`. */
  readonly waitEvent: string | undefined;
}
