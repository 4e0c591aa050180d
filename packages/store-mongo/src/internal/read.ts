import { type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, START } from '@eventfold/core';
import { classifyMongoError } from '../classify-error.js';
import type { MongoCollectionLike, MongoDocument } from '../mongo-client-like.js';
import { decodeCommit, firstPosition, recordedEvent } from './commit-document.js';
import type { PositionChain } from './position-chain.js';
import type { StreamHeads } from './stream-heads.js';

/** What the readers need from the store. */
export interface ReadContext {
  readonly commits: MongoCollectionLike;
  readonly chain: PositionChain;
  readonly heads: StreamHeads;
  /** Most events one `readAll` call returns. */
  readonly maxPageSize: number;
}

function batchSizeFor(limit: number): number {
  return Math.max(2, Math.min(Math.ceil(limit) + 1, 100));
}

/** Reads one stream's events in version order (or reverse order), from its commit documents. */
export async function readStreamEvents(context: ReadContext, streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit > 0)) return [];
  const backward = options.direction === 'backward';
  // Forward: from `from` up. Backward: from `to` down. Commits tile a stream's versions, so the
  // commit holding the first wanted version is the first (or last) one the filter selects.
  const from = Math.max(1, options.fromVersion ?? 1);
  const to = options.fromVersion ?? Number.POSITIVE_INFINITY;
  if (backward && to < 1) return [];
  const filter: MongoDocument = backward
    ? Number.isFinite(to)
      ? { s: streamId, v: { $lte: to } }
      : { s: streamId }
    : { s: streamId, w: { $gte: from } };
  const events: RecordedEvent[] = [];
  try {
    const cursor = context.commits.find(filter, {
      sort: { s: 1, v: backward ? -1 : 1 },
      batchSize: batchSizeFor(Number.isFinite(limit) ? limit : 100),
    });
    commits: for await (const raw of cursor) {
      const commit = decodeCommit(raw);
      context.heads.observe(commit.s, commit.w);
      const count = commit.ids.length;
      for (let step = 0; step < count; step++) {
        const index = backward ? count - 1 - step : step;
        const version = commit.v + index;
        if (backward ? version > to : version < from) continue;
        events.push(recordedEvent(commit, index));
        if (events.length >= limit) break commits;
      }
    }
  } catch (error) {
    throw classifyMongoError(error, `read stream "${streamId}"`);
  }
  return events;
}

/**
 * Reads events of all streams after a position, in position order.
 *
 * Gap-free by construction: commits are written in position order (see `PositionChain`), so when a
 * commit is visible every commit before it is too, and a reader resuming after the last position it
 * saw never misses one. The query always walks the `l` (last position) index in order, by hint: a
 * plan merging several index ranges (say one per category) could pass a range's end before a commit
 * lands there and still return later commits from another range — which would skip it.
 */
export async function readAllEvents(context: ReadContext, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
  const after = options.after ?? START;
  const limit = Math.min(options.limit ?? context.maxPageSize, context.maxPageSize);
  if (!(limit > 0)) return [];
  if (options.categories?.length === 0 || options.types?.length === 0) return [];
  const types = options.types === undefined ? undefined : new Set(options.types);
  const filter: MongoDocument = { l: { $gt: after } };
  if (options.categories !== undefined) filter.c = { $in: [...options.categories] };
  if (options.types !== undefined) filter.t = { $in: [...options.types] };
  const events: RecordedEvent[] = [];
  try {
    const cursor = context.commits.find(filter, { sort: { l: 1 }, hint: { l: 1 }, batchSize: batchSizeFor(limit) });
    commits: for await (const raw of cursor) {
      const commit = decodeCommit(raw);
      context.chain.observe(commit.l);
      const first = firstPosition(commit);
      for (let index = 0; index < commit.ids.length; index++) {
        if (first + BigInt(index) <= after) continue;
        if (types !== undefined && !types.has(commit.t[index] as string)) continue;
        events.push(recordedEvent(commit, index));
        if (events.length >= limit) break commits;
      }
    }
  } catch (error) {
    throw classifyMongoError(error, 'read all streams');
  }
  return events;
}
