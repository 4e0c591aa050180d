import type { AppendResult } from '@eventfold/core';
import { classifyError } from './classify-error.js';
import { ANSWERED_BY_FUNCTION, type EncodedAppend, runAppend, sqlState, tryAppendStatement, writtenAppend } from './events.js';
import type { Executor } from './executor.js';
import type { Statements } from './statements.js';

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
interface GroupRow {
  app: number;
  position: string;
  version: number;
  recorded_ms: string;
}

/**
 * Group commit for appends outside transactions. While `concurrency` statements are in flight, new
 * appends wait; when one finishes, the waiting appends (one per stream, up to `maxEvents` events)
 * go as one statement and one transaction, so a busy store pays one round trip and one commit for
 * many appends instead of one each. An append alone goes through the one-statement append. Those
 * statements never wait for a lock. What they leave unanswered (a busy stream, a failed expected
 * version, a repeat, and every append of a group that hit a unique index) goes to the append
 * function, outside the slots, and so gets the answer it would have had alone. One stream's
 * appends never share a group: they leave in the order they arrived.
 */
export function appendGroups(executor: Executor, sql: Statements, onWrite: () => void, limits: AppendGroupLimits): AppendGroups {
  const queue: Waiting[] = [];
  let inFlight = 0;

  /** Takes the waiting appends that can go together now, leaving the rest in order. */
  function takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    const rest: Waiting[] = [];
    const streams = new Set<string>();
    let events = 0;
    for (const waiting of queue) {
      const { streamId, ids } = waiting.append;
      const fits = group.length === 0 || events + ids.length <= limits.maxEvents;
      if (!fits || streams.has(streamId)) {
        rest.push(waiting);
        continue;
      }
      group.push(waiting);
      streams.add(streamId);
      events += ids.length;
    }
    queue.splice(0, queue.length, ...rest);
    return group;
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
      const result = await tryAppendStatement(executor, sql, only.append, onWrite);
      if (result === undefined) return group;
      only.resolve(result);
      return [];
    }
    let rows: GroupRow[];
    try {
      rows = await executor.run<GroupRow>(sql.appendGroup, groupValues(group));
    } catch (error) {
      if (ANSWERED_BY_FUNCTION.has(sqlState(error) ?? '')) return group; // nothing written
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
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ append, resolve, reject });
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
