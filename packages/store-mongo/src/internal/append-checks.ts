import { type AppendResult, DuplicateEventError, type ExpectedVersion, type RecordedEvent, ValidationError } from '@eventfold/core';
import type { MongoCollectionLike, MongoDocument } from '../mongo-client-like.js';
import { documentBytes } from './bson-size.js';
import { commitDocument, decodeCommit, type PreparedEvent, recordedEvent } from './commit-document.js';
import type { StreamHeads } from './stream-heads.js';

// The checks of an append, before its insert: size, the stream's version, and its event ids.

/** The BSON size of an append's commit document; a `ValidationError` when it is over `limit`. */
export function commitSize(streamId: string, events: readonly PreparedEvent[], limit: number): number {
  // Worst case for the numeric fields (versions written as doubles), so the estimate never undershoots.
  const bytes = documentBytes(commitDocument(streamId, 2 ** 40, 2n ** 62n, events, new Date(0)) as unknown as MongoDocument);
  if (bytes > limit) {
    throw new ValidationError('[@eventfold/store-mongo] Append too large', [
      {
        message: `an append is stored as one document, and this one would take ${bytes} bytes; the limit is ${limit} bytes (the server's 16 MiB document limit less room for the store's fields). Split the events over several appends, or keep large payloads outside the store`,
        path: ['events'],
      },
    ]);
  }
  return bytes;
}

/** A version the stream is known to have a commit ending at, so an insert right after it is safe to try without reading the stream. */
export function trustedBase(expected: ExpectedVersion, cached: number | undefined): number | undefined {
  if (expected === 'no-stream' || expected === 0) return 0;
  if (expected === 'any') return cached;
  if (expected === 'exists') return cached !== undefined && cached > 0 ? cached : undefined;
  return cached === expected ? cached : undefined;
}

/** The original result when every id is stored, in order, at consecutive versions of this stream; a `DuplicateEventError` when only some are. */
export function repeatOf(streamId: string, events: readonly PreparedEvent[], stored: Map<string, RecordedEvent>): AppendResult | undefined {
  const found = events.map((event) => stored.get(event.id));
  if (found.every((event) => event === undefined)) return undefined;
  const first = found[0];
  const samePlace =
    first !== undefined &&
    found.every((event, index) => event !== undefined && event.streamId === streamId && event.version === first.version + index);
  if (samePlace) {
    const recorded = found as RecordedEvent[];
    const last = recorded[recorded.length - 1] as RecordedEvent;
    return { streamId, version: last.version, position: last.position, events: recorded };
  }
  const clash = found.findIndex((event) => event !== undefined);
  throw new DuplicateEventError(events[clash]?.id as string, streamId);
}

/** The version of a stream's newest commit (0 for no commit), read from the server. */
export async function readStreamHead(commits: MongoCollectionLike, heads: StreamHeads, streamId: string): Promise<number> {
  const [last] = await commits.find({ s: streamId }, { sort: { s: 1, v: -1 }, limit: 1, projection: { w: 1 } }).toArray();
  if (last === undefined) return 0;
  const version = Number(last.w);
  heads.observe(streamId, version);
  return version;
}

/** Where each of the append's ids is stored already, if anywhere. */
export async function findStoredEvents(
  commits: MongoCollectionLike,
  events: readonly PreparedEvent[],
): Promise<Map<string, RecordedEvent>> {
  const wanted = new Set(events.map((event) => event.id));
  const stored = new Map<string, RecordedEvent>();
  for (const raw of await commits.find({ ids: { $in: [...wanted] } }).toArray()) {
    const commit = decodeCommit(raw);
    commit.ids.forEach((id, index) => {
      if (wanted.has(id)) stored.set(id, recordedEvent(commit, index));
    });
  }
  return stored;
}
