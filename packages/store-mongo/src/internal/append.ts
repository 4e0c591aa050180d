import {
  type AppendOptions,
  type AppendResult,
  ConcurrencyError,
  checkAppendInput,
  type ExpectedVersion,
  type NewEvent,
  StoreUnavailableError,
  satisfiesExpectedVersion,
} from '@eventfold/core';
import { classifyMongoError, duplicateKeyIndex, mongoErrorKind } from '../classify-error.js';
import type { MongoCollectionLike, MongoDocument } from '../mongo-client-like.js';
import { commitSize, findStoredEvents, readStreamHead, repeatOf, trustedBase } from './append-checks.js';
import {
  type CommitDocument,
  commitDocument,
  firstPosition,
  type PreparedEvent,
  prepareEvents,
  recordedEvents,
} from './commit-document.js';
import type { PositionChain } from './position-chain.js';
import type { StreamHeads } from './stream-heads.js';

/** Internal hooks for tests that widen race windows. Never set in production code. */
export interface AppendHooks {
  /** Runs after the checks and before the insert of each attempt of each append. */
  beforeInsert?(attempt: { readonly streamId: string; readonly position: bigint; readonly attempt: number }): void | Promise<void>;
}

/** What appends need from the store. */
export interface AppendContext {
  readonly commits: MongoCollectionLike;
  readonly chain: PositionChain;
  readonly heads: StreamHeads;
  readonly now: () => Date;
  readonly maxDocumentBytes: number;
  /** How long an append keeps retrying when other processes keep taking the next position. */
  readonly contentionTimeoutMs: number;
  readonly hooks: AppendHooks;
  readonly appended: () => void;
}

// Most appends one round writes with one insertMany, and about how many bytes (the driver splits
// bigger messages itself; this only bounds the memory of one round).
const MAX_ROUND_APPENDS = 256;
const MAX_ROUND_BYTES = 32 * 1024 * 1024;

/** An append waiting for its turn, with what earlier attempts learned. */
interface Pending {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  readonly events: readonly PreparedEvent[];
  readonly bytes: number;
  /** Some ids were chosen by the caller, so they may be stored already. */
  readonly lookUpIds: boolean;
  readonly deadline: number;
  attempt: number;
  /** Resolved or rejected already. */
  done: boolean;
  /** The stream moved since this process last saw it: read its version instead of trusting the cache. */
  headStale: boolean;
  /** Clashes the server did not name the index of (FerretDB) since the stream was last read. */
  ambiguous: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** The index in an ordered insert of the document that failed, and the error of that document. */
function failedWrite(error: unknown): { index: number; error: unknown } {
  const lists = [
    (error as { writeErrors?: unknown }).writeErrors,
    (error as { errorResponse?: { writeErrors?: unknown } }).errorResponse?.writeErrors,
  ];
  for (const list of lists) {
    const first = Array.isArray(list) ? (list[0] as { index?: unknown; errmsg?: unknown; code?: unknown } | undefined) : undefined;
    if (typeof first?.index === 'number')
      return { index: first.index, error: { code: first.code, message: first.errmsg, errorResponse: first } };
  }
  return { index: 0, error };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Appends events as commit documents, one per append, grouping the appends of this process.
 *
 * Each round: take the log's end E as last seen. For each waiting append (at most one per stream),
 * look its caller-given ids up (a repeat returns the original result, an id stored elsewhere is a
 * `DuplicateEventError`) and settle its stream's version (from what this process knows, or by
 * reading it). Then insert the commits, in order, at E + 1, E + 1 + n₁, … with one ordered
 * `insertMany`. The inserts are the only writes, and their unique indexes are the checks: if another
 * process took a position or a stream's next version first, that commit and the ones after it are not
 * written, and go again in the next round. Positions are taken strictly in chain order (see
 * `PositionChain`), so the id lookups of a round see every commit up to E, and any commit after ours
 * must come after it — two appends can never store the same event id, without a unique index on ids.
 */
export class Appender {
  private readonly waiting: Pending[] = [];
  private draining = false;

  constructor(private readonly context: AppendContext) {}

  append(streamId: string, events: readonly NewEvent[], options: AppendOptions | undefined): Promise<AppendResult> {
    const expected = checkAppendInput(streamId, events, options);
    const prepared = prepareEvents(events);
    const bytes = commitSize(streamId, prepared, this.context.maxDocumentBytes);
    return new Promise<AppendResult>((resolve, reject) => {
      this.waiting.push({
        streamId,
        expected,
        events: prepared,
        bytes,
        lookUpIds: prepared.some((event) => event.callerId),
        deadline: Date.now() + this.context.contentionTimeoutMs,
        attempt: 0,
        done: false,
        headStale: false,
        ambiguous: 0,
        resolve(result) {
          this.done = true;
          resolve(result);
        },
        reject(error) {
          this.done = true;
          reject(error);
        },
      });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) await this.round();
    } finally {
      this.draining = false;
    }
  }

  /** Takes the oldest waiting appends, at most one per stream, within the round's bounds. */
  private take(): Pending[] {
    const round: Pending[] = [];
    const streams = new Set<string>();
    let bytes = 0;
    for (let index = 0; index < this.waiting.length && round.length < MAX_ROUND_APPENDS; ) {
      const pending = this.waiting[index] as Pending;
      if (streams.has(pending.streamId) || (round.length > 0 && bytes + pending.bytes > MAX_ROUND_BYTES)) {
        index++;
        continue;
      }
      streams.add(pending.streamId);
      bytes += pending.bytes;
      round.push(pending);
      this.waiting.splice(index, 1);
    }
    return round;
  }

  /** Puts appends back at the front, oldest first, for the next round. */
  private requeue(appends: readonly Pending[]): void {
    this.waiting.unshift(...appends);
  }

  private async round(): Promise<void> {
    const round = this.take();
    try {
      await this.write(round);
    } catch (error) {
      // A bug or a throwing hook must never leave an append waiting forever.
      for (const pending of round) {
        if (!pending.done && !this.waiting.includes(pending)) pending.reject(classifyMongoError(error, `append to "${pending.streamId}"`));
      }
    }
  }

  private async write(round: Pending[]): Promise<void> {
    let end: bigint;
    try {
      end = await this.context.chain.end();
    } catch (error) {
      for (const pending of round) pending.reject(classifyMongoError(error, `append to "${pending.streamId}"`));
      return;
    }
    const settled = await Promise.all(round.map((pending) => this.check(pending)));

    // Commits to write, in order. An append sharing an event id with an earlier one of this round
    // waits for the next round, where its lookup sees that commit.
    const ready: { pending: Pending; base: number }[] = [];
    const deferred: Pending[] = [];
    const ids = new Set<string>();
    round.forEach((pending, index) => {
      const base = settled[index];
      if (base === undefined) return;
      if (pending.events.some((event) => ids.has(event.id))) {
        deferred.push(pending);
        return;
      }
      for (const event of pending.events) ids.add(event.id);
      ready.push({ pending, base });
    });
    if (ready.length === 0) {
      this.requeue(deferred);
      return;
    }

    const recordedAt = this.context.now();
    const commits: CommitDocument[] = [];
    let next = end + 1n;
    for (const { pending, base } of ready) {
      const commit = commitDocument(pending.streamId, base + 1, next, pending.events, recordedAt);
      commits.push(commit);
      next = commit.l + 1n;
    }
    const { hooks } = this.context;
    if (hooks.beforeInsert !== undefined) {
      const results = await Promise.allSettled(
        ready.map(async ({ pending }, index) =>
          hooks.beforeInsert?.({
            streamId: pending.streamId,
            position: firstPosition(commits[index] as CommitDocument),
            attempt: pending.attempt,
          }),
        ),
      );
      const failed = results.findIndex((result) => result.status === 'rejected');
      if (failed !== -1) {
        // A hook standing for a crash before the insert: nothing is written, the round's appends fail.
        const reason = (results[failed] as PromiseRejectedResult).reason;
        for (const { pending } of ready) pending.reject(classifyMongoError(reason, `append to "${pending.streamId}"`));
        this.requeue(deferred);
        return;
      }
    }

    let written = ready.length;
    let failure: { index: number; error: unknown } | undefined;
    try {
      if (commits.length === 1) await this.context.commits.insertOne(commits[0] as unknown as MongoDocument);
      else await this.context.commits.insertMany(commits as unknown as MongoDocument[], { ordered: true });
    } catch (error) {
      const kind = mongoErrorKind(error);
      if (kind !== 'duplicate-key' && kind !== 'invalid-document') {
        // Lost connection or the like: which commits got in is unknown, so every append of the insert
        // fails as retryable; retrying with the same event ids finds out safely.
        for (const { pending } of ready) pending.reject(classifyMongoError(error, `append to "${pending.streamId}"`));
        this.requeue(deferred);
        return;
      }
      // The server refused one document of the ordered insert: those before it are written, those after it were not tried.
      failure = failedWrite(error);
      written = failure.index;
    }

    for (let index = 0; index < written; index++) {
      const { pending } = ready[index] as (typeof ready)[number];
      const commit = commits[index] as CommitDocument;
      this.context.chain.observe(commit.l);
      this.context.heads.observe(pending.streamId, commit.w);
      pending.resolve({ streamId: pending.streamId, version: commit.w, position: commit.l, events: recordedEvents(commit) });
    }
    if (written > 0) this.context.appended();
    if (failure === undefined) {
      this.requeue(deferred);
      return;
    }

    const collided = (ready[failure.index] as (typeof ready)[number]).pending;
    const untried = ready.slice(failure.index + 1).map(({ pending }) => pending);
    if (mongoErrorKind(failure.error) !== 'duplicate-key') {
      collided.reject(classifyMongoError(failure.error, `append to "${collided.streamId}"`));
      this.requeue([...untried, ...deferred]);
      return;
    }
    // The commit lost its position or its stream version to another process. It and the ones after it
    // go again, after a fresh look at the log's end.
    collided.attempt++;
    let end2: bigint;
    try {
      end2 = await this.context.chain.refresh();
    } catch (error) {
      for (const pending of [collided, ...untried, ...deferred])
        pending.reject(classifyMongoError(error, `append to "${pending.streamId}"`));
      return;
    }
    // Which index? MongoDB names it. FerretDB does not: if the log has grown over the position we
    // tried, that position was taken, and the stream's version is trusted once more; a second such
    // clash in a row reads the stream anyway (both may have been taken).
    const index = duplicateKeyIndex(failure.error);
    const positionTaken = end2 >= firstPosition(commits[failure.index] as CommitDocument);
    collided.headStale =
      index === undefined ? !positionTaken || collided.ambiguous++ > 0 : !(index === '_id_' || index === 'eventfold_last_position');
    const retry = [collided, ...untried, ...deferred];
    if (Date.now() > collided.deadline) {
      retry.shift();
      collided.reject(
        new StoreUnavailableError(
          `[@eventfold/store-mongo] Could not append to "${collided.streamId}": other writers took the next log position ${collided.attempt} times in ${this.context.contentionTimeoutMs} ms. Retry later.`,
          { cause: failure.error },
        ),
      );
    }
    this.requeue(retry);
    // Go again at once: a loser that also waited would lose again to writers that did not. Only a
    // long losing streak adds a little jitter, to break lock-step with another process.
    if (collided.attempt > 8) await sleep(Math.random() * 5);
  }

  /** Runs an append's checks. Returns the version to append after, or undefined when the append is settled (a repeat, or an error). */
  private async check(pending: Pending): Promise<number | undefined> {
    const { streamId, expected } = pending;
    try {
      let base = pending.headStale ? undefined : trustedBase(expected, this.context.heads.get(streamId));
      const [head, stored] = await Promise.all([
        base === undefined ? readStreamHead(this.context.commits, this.context.heads, streamId) : undefined,
        pending.lookUpIds ? findStoredEvents(this.context.commits, pending.events) : undefined,
      ]);
      if (stored !== undefined) {
        const repeat = repeatOf(streamId, pending.events, stored);
        if (repeat !== undefined) {
          pending.resolve(repeat);
          return undefined;
        }
      }
      if (head !== undefined) {
        pending.headStale = false;
        pending.ambiguous = 0;
        if (!satisfiesExpectedVersion(expected, head)) throw new ConcurrencyError(streamId, expected, head);
        base = head;
      }
      return base;
    } catch (error) {
      pending.reject(classifyMongoError(error, `append to "${streamId}"`));
      return undefined;
    }
  }
}
