import {
  type AppendOptions,
  type AppendResult,
  ConcurrencyError,
  DuplicateEventError,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  StoreUnavailableError,
  ValidationError,
} from '@eventfold/core';
import { classifyMongoError, duplicateKeyIndex, isDuplicateKeyError } from '../classify-error.js';
import type { MongoCollectionLike } from '../mongo-client-like.js';
import { checkAppendInput, satisfiesExpectedVersion } from './append-input.js';
import { documentBytes } from './bson-size.js';
import { commitDocument, decodeCommit, type PreparedEvent, prepareEvents, recordedEvent, recordedEvents } from './commit-document.js';
import type { PositionChain } from './position-chain.js';
import type { SerialQueue } from './serial-queue.js';
import type { StreamHeads } from './stream-heads.js';

/** Internal hooks for tests that widen race windows. Never set in production code. */
export interface AppendHooks {
  /** Runs after the checks and before the insert of each attempt. */
  beforeInsert?(attempt: { readonly streamId: string; readonly position: bigint; readonly attempt: number }): void | Promise<void>;
}

/** What an append needs from the store. */
export interface AppendContext {
  readonly commits: MongoCollectionLike;
  readonly chain: PositionChain;
  readonly heads: StreamHeads;
  /** Serialises this process's appends: they would only collide with each other on the log's end. */
  readonly queue: SerialQueue;
  readonly now: () => Date;
  readonly maxDocumentBytes: number;
  /** How long an append keeps retrying when other processes keep taking the next position. */
  readonly contentionTimeoutMs: number;
  readonly hooks: AppendHooks;
  readonly appended: () => void;
}

function checkSize(streamId: string, events: readonly PreparedEvent[], limit: number): void {
  // Worst case for the numeric fields (versions written as doubles), so the estimate never undershoots.
  const bytes = documentBytes(commitDocument(streamId, 2 ** 40, 2n ** 62n, events, new Date(0)) as unknown as Record<string, unknown>);
  if (bytes > limit) {
    throw new ValidationError('[@eventfold/store-mongo] Append too large', [
      {
        message: `an append is stored as one document, and this one would take ${bytes} bytes; the limit is ${limit} bytes (the server's 16 MiB document limit less room for the store's fields). Split the events over several appends, or keep large payloads outside the store`,
        path: ['events'],
      },
    ]);
  }
}

/** A version the stream is known to have a commit ending at, so an insert right after it is safe to try without reading the stream. */
function trustedBase(expected: ExpectedVersion, cached: number | undefined): number | undefined {
  if (expected === 'no-stream' || expected === 0) return 0;
  if (expected === 'any') return cached;
  if (expected === 'exists') return cached !== undefined && cached > 0 ? cached : undefined;
  return cached === expected ? cached : undefined;
}

async function readHead(context: AppendContext, streamId: string): Promise<number> {
  const [last] = await context.commits.find({ s: streamId }, { sort: { v: -1 }, limit: 1, projection: { w: 1 } }).toArray();
  if (last === undefined) return 0;
  const version = Number(last.w);
  context.heads.observe(streamId, version);
  return version;
}

/** Where each of the append's ids is stored already, if anywhere. */
async function findStored(context: AppendContext, events: readonly PreparedEvent[]): Promise<Map<string, RecordedEvent>> {
  const wanted = new Set(events.map((event) => event.id));
  const stored = new Map<string, RecordedEvent>();
  for (const raw of await context.commits.find({ ids: { $in: [...wanted] } }).toArray()) {
    const commit = decodeCommit(raw);
    commit.ids.forEach((id, index) => {
      if (wanted.has(id)) stored.set(id, recordedEvent(commit, index));
    });
  }
  return stored;
}

/** The original result when every id is stored, in order, at consecutive versions of this stream; a `DuplicateEventError` when only some are. */
function repeatOf(streamId: string, events: readonly PreparedEvent[], stored: Map<string, RecordedEvent>): AppendResult | undefined {
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Appends events to a stream as one commit document.
 *
 * Each attempt: take the log's end E as last seen; look the caller's event ids up (a repeat returns
 * the original result, an id stored elsewhere is a `DuplicateEventError`); settle the stream's
 * version (from what this process knows, or by reading it); insert the commit at position E + 1 and
 * version + 1. The insert is the only write, and its unique indexes are the checks: if another
 * append took position E + 1 or the stream's next version first, nothing was written, and the next
 * attempt looks again. Because positions are taken strictly in chain order (see `PositionChain`),
 * the id lookup of an attempt sees every commit before E, and any commit after it must come after
 * ours — so two appends can never store the same event id, without a unique index on it.
 */
export async function appendEvents(
  context: AppendContext,
  streamId: string,
  events: readonly NewEvent[],
  options: AppendOptions | undefined,
): Promise<AppendResult> {
  const expected = checkAppendInput(streamId, events, options);
  const prepared = prepareEvents(events);
  checkSize(streamId, prepared, context.maxDocumentBytes);
  const lookUpIds = prepared.some((event) => event.callerId);
  return context.queue.run(async () => {
    const deadline = Date.now() + context.contentionTimeoutMs;
    let headKnownStale = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const end = await context.chain.end();
        let base = headKnownStale ? undefined : trustedBase(expected, context.heads.get(streamId));
        const [head, stored] = await Promise.all([
          base === undefined ? readHead(context, streamId) : undefined,
          lookUpIds ? findStored(context, prepared) : undefined,
        ]);
        if (stored !== undefined) {
          const repeat = repeatOf(streamId, prepared, stored);
          if (repeat !== undefined) return repeat;
        }
        if (head !== undefined) {
          if (!satisfiesExpectedVersion(expected, head)) throw new ConcurrencyError(streamId, expected, head);
          base = head;
        }
        const commit = commitDocument(streamId, (base as number) + 1, end + 1n, prepared, context.now());
        await context.hooks.beforeInsert?.({ streamId, position: commit._id, attempt });
        try {
          await context.commits.insertOne(commit as unknown as Record<string, unknown>);
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          // Someone took the position or the stream's next version. Only MongoDB says which; FerretDB
          // does not, so read the stream again unless the server named the position index.
          const index = duplicateKeyIndex(error);
          headKnownStale = !(index === '_id_' || index === 'eventfold_last_position');
          await context.chain.refresh();
          if (Date.now() > deadline) {
            throw new StoreUnavailableError(
              `[@eventfold/store-mongo] Could not append to "${streamId}": other writers took the next log position ${attempt + 1} times in ${context.contentionTimeoutMs} ms. Retry later.`,
              { cause: error },
            );
          }
          // Collisions here come from other processes; back off a little so one of us gets through.
          if (attempt > 0) await sleep(Math.random() * Math.min(2 ** attempt, 50));
          continue;
        }
        context.chain.observe(commit.l);
        context.heads.observe(streamId, commit.w);
        context.appended();
        return { streamId, version: commit.w, position: commit.l, events: recordedEvents(commit) };
      } catch (error) {
        throw classifyMongoError(error, `append to "${streamId}"`);
      }
    }
  });
}
