import { ConfigurationError } from './errors.js';

/** What a snapshot policy knows when the repository asks whether to snapshot. */
export interface SnapshotContext {
  /** The stream's version after the append that just succeeded. */
  readonly version: number;
  /** The version the latest snapshot covers (0 when there is none). */
  readonly snapshotVersion: number;
}

/** Decides, after each successful append, whether the repository saves a snapshot. */
export type SnapshotPolicy = (context: SnapshotContext) => boolean;

/**
 * Snapshot once more than `n` events were appended since the last snapshot.
 * The repository's default is `everyNEvents(10)`.
 *
 * @throws {@link ConfigurationError} when `n` is not a positive integer.
 */
export function everyNEvents(n: number): SnapshotPolicy {
  if (!(Number.isInteger(n) && n > 0)) {
    throw new ConfigurationError(`[@eventfold/core] everyNEvents(n) needs a positive integer, got ${n}.`);
  }
  return ({ version, snapshotVersion }) => version - snapshotVersion > n;
}
