import { START } from '@eventfold/core';
import type { MongoCollectionLike } from '../mongo-client-like.js';
import { positionKey, toBigInt } from './commit-document.js';

// How many commits a refresh walks one by one (a point lookup each) before it asks for the last
// commit with one sorted query instead.
const MAX_PROBES = 4;

/**
 * The end of the store-wide log as this process last saw it.
 *
 * Commits tile the positions: each starts right after the end of the commit that was last when its
 * writer looked (`_id = end + 1`). A writer only ever inserts after an end it has seen, and `_id` is
 * unique, so of all writers starting at the same end exactly one wins and the others must look
 * again. The log therefore grows as a chain: commit k+1 is written only after commit k is visible.
 * That is what makes `readAll` gap-free without transactions: no reader can ever see a position
 * before an earlier one is visible, and no position is ever left empty, so readers never wait.
 *
 * `known` is always the last position of a commit that exists (or 0 for an empty log) — never a
 * position inside a commit, which would let an insert overlap it.
 */
export class PositionChain {
  private known: bigint | undefined;
  private refreshing: Promise<bigint> | undefined;

  constructor(private readonly commits: MongoCollectionLike) {}

  /** The last known end, without a round trip once known. */
  async end(): Promise<bigint> {
    return this.known ?? this.refresh();
  }

  /** The end as last seen, if any. */
  get knownEnd(): bigint | undefined {
    return this.known;
  }

  /** Records the end of a commit seen in a read or written by this process. */
  observe(end: bigint): void {
    if (this.known === undefined || end > this.known) this.known = end;
  }

  /** Finds the current end of the log: follows the chain from the known end, or asks for the last commit. Calls made meanwhile share it. */
  refresh(): Promise<bigint> {
    this.refreshing ??= this.walk().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async walk(): Promise<bigint> {
    if (this.known !== undefined) {
      let end = this.known;
      for (let probe = 0; probe < MAX_PROBES; probe++) {
        const next = await this.commits.findOne({ _id: positionKey(end + 1n) }, { projection: { l: 1 } });
        if (next === null) {
          this.observe(end);
          return end;
        }
        end = toBigInt(next.l);
      }
      this.observe(end);
    }
    const [last] = await this.commits.find({}, { sort: { l: -1 }, limit: 1, projection: { l: 1 } }).toArray();
    this.observe(last === undefined ? START : toBigInt(last.l));
    return this.known as bigint;
  }
}
