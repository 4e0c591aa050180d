import type { AppendResult } from '@eventfold/core';
import { classifyError, leftToAppendFunction } from './classify-error.js';
import { type EncodedAppend, runAppend, tryAppendStatement, writtenAppend } from './events.js';
import type { Executor } from './executor.js';
import type { Statements, WrittenRow } from './statements.js';

/** Sends the store's autocommit appends, grouping those that wait. */
export interface AppendGroups {
  append(append: EncodedAppend): Promise<AppendResult>;
}

/** Limits of {@link appendGroups}. */
export interface AppendGroupLimits {
  /** Most statements in flight at once; appends beyond them wait and go together. */
  readonly concurrency: number;
  /** Most events in one group; a larger append still goes, alone. */
  readonly maxEvents: number;
}

interface Waiting {
  readonly append: EncodedAppend;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** A row of the group statement: a written append (1-based index in the group) and where it starts. */
interface GroupRow extends WrittenRow {
  app: number;
}

/**
 * Group commit for appends outside transactions. While `concurrency` statements are in flight, new
 * appends wait; when one finishes, the waiting appends (one per stream, up to `maxEvents` events)
 * go as one statement and one transaction, so a busy store pays one round trip and one commit for
 * many appends instead of one each. An append alone goes through the one-statement append. Those
 * statements never wait for a lock. What they leave unanswered (a busy stream, a failed expected
 * version, a repeat, and every append of a group that hit a unique index) goes to the append
 * function, outside the slots, and so gets the answer it would have had alone. A group has at
 * most one append per stream: an append to a stream that already has one waiting or in flight
 * goes at once, alone and outside the slots, as it would without groups.
 */
export function appendGroups(executor: Executor, sql: Statements, onWrite: () => void, limits: AppendGroupLimits): AppendGroups {
  const queue: Waiting[] = [];
  /** The append of each stream that is waiting or in a statement in flight: at most one each. */
  const streamsTaken = new Map<string, Waiting>();
  let inFlight = 0;

  /** Takes the waiting appends that can go together now, leaving the rest in order. */
  function takeGroup(): Waiting[] {
    let events = 0;
    let size = 0;
    for (const { append } of queue) {
      if (size > 0 && events + append.ids.length > limits.maxEvents) break;
      events += append.ids.length;
      size++;
    }
    return queue.splice(0, size);
  }

  /** Frees a group's streams when its statement returns, before any of its appends is answered. */
  function freeing<T>(group: readonly Waiting[], statement: Promise<T>): Promise<T> {
    return statement.finally(() => {
      for (const waiting of group) {
        if (streamsTaken.get(waiting.append.streamId) === waiting) streamsTaken.delete(waiting.append.streamId);
      }
    });
  }

  /** An append on its own, outside the slots: the one-statement append, else the function. */
  async function alone(append: EncodedAppend): Promise<AppendResult> {
    return (await tryAppendStatement(executor, sql, append, onWrite)) ?? runAppend(executor, sql, append, onWrite);
  }

  function pump(): void {
    while (inFlight < limits.concurrency && queue.length > 0) {
      const group = takeGroup();
      inFlight++;
      // A promise settles once: after a failure mid-way, only the appends not yet answered get it.
      void send(group)
        .catch((error: unknown) => {
          for (const { reject } of group) reject(error);
          return [];
        })
        .then((unanswered) => {
          inFlight--;
          pump();
          // Outside the slots: the function may wait for a stream's lock (a long transaction
          // elsewhere holding it), and must not hold up the other appends while it does.
          for (const waiting of unanswered) {
            runAppend(executor, sql, waiting.append, onWrite).then(waiting.resolve, waiting.reject);
          }
        });
    }
  }

  /** Sends a group; answers the appends it wrote or that failed, and returns those the function must answer. */
  async function send(group: Waiting[]): Promise<Waiting[]> {
    if (group.length === 1) {
      const only = group[0] as Waiting;
      const result = await freeing(group, tryAppendStatement(executor, sql, only.append, onWrite));
      if (result === undefined) return group;
      only.resolve(result);
      return [];
    }
    let rows: GroupRow[];
    try {
      rows = await freeing(group, executor.run<GroupRow>(sql.appendGroup, groupValues(group)));
    } catch (error) {
      if (leftToAppendFunction(error)) return group; // nothing written
      for (const { append, reject } of group)
        reject(classifyError(error, { operation: 'append', streamId: append.streamId, expected: append.expected }));
      return [];
    }
    if (rows.length > 0) onWrite();
    const written = new Map(rows.map((row) => [row.app, row]));
    const unanswered: Waiting[] = [];
    group.forEach((waiting, index) => {
      const row = written.get(index + 1);
      if (row === undefined) unanswered.push(waiting);
      else waiting.resolve(writtenAppend(waiting.append, BigInt(row.position), row.version, Number(row.recorded_ms)));
    });
    return unanswered;
  }

  return {
    append(append) {
      // Appends racing on one stream gain nothing from waiting: they would go one group at a time.
      if (streamsTaken.has(append.streamId)) return alone(append);
      return new Promise<AppendResult>((resolve, reject) => {
        const waiting: Waiting = { append, resolve, reject };
        streamsTaken.set(append.streamId, waiting);
        queue.push(waiting);
        pump();
      });
    },
  };
}

/** The group statement's parameters (see append-group-statement.ts). */
function groupValues(group: readonly Waiting[]): unknown[] {
  const streams: string[] = [];
  const expected: number[] = [];
  const firsts: number[] = [];
  const apps: number[] = [];
  const ids: string[] = [];
  const types: string[] = [];
  const data: string[] = [];
  const metadata: string[] = [];
  const schemaVersions: number[] = [];
  group.forEach(({ append }, index) => {
    streams.push(append.streamId);
    expected.push(append.expectedCode);
    firsts.push(ids.length + 1);
    for (let event = 0; event < append.ids.length; event++) {
      apps.push(index + 1);
      ids.push(append.ids[event] as string);
      types.push(append.types[event] as string);
      data.push(append.dataTexts[event] as string);
      metadata.push(append.metadataTexts[event] as string);
      schemaVersions.push(append.schemaVersions[event] as number);
    }
  });
  return [streams, expected, firsts, apps, ids, types, `[${data.join(',')}]`, `[${metadata.join(',')}]`, schemaVersions];
}
