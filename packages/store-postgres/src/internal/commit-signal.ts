import type { Executor, Statement } from './executor.js';

/** Sends the appends' NOTIFY after they commit, throttled. */
export interface CommitSignal {
  /** Call after an append committed: a NOTIFY that starts after this call will follow. */
  send(): void;
  close(): void;
}

/**
 * NOTIFY from a transaction of its own, after the append committed. Not from inside the
 * append's transaction: PostgreSQL holds its notify-queue lock from a notifying transaction's
 * pre-commit until it ends, WAL flush included, so in-transaction NOTIFY makes every appender
 * wait for the others' fsyncs one by one. A NOTIFY-only transaction has no transaction id and
 * flushes nothing, so it holds that lock for microseconds.
 *
 * Throttled: the first commit after a quiet period is signalled at once; commits within
 * `intervalMs` of a NOTIFY share one more, sent when the interval ends. So a busy writer sends
 * at most one NOTIFY per interval instead of one per append, and a listener hears of a commit
 * at most `intervalMs` (plus a round trip) after it. A failed send is dropped: a NOTIFY is a
 * wake-up hint, and subscribers poll as a fallback.
 */
export function commitSignal(executor: Executor, statement: Statement, channel: string, intervalMs: number): CommitSignal {
  let busy = false;
  let pending = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function fire(): void {
    busy = true;
    pending = false;
    executor
      .run(statement, [channel])
      .catch(() => undefined)
      .finally(() => {
        if (closed) return;
        timer = setTimeout(() => {
          timer = undefined;
          busy = false;
          if (pending) fire();
        }, intervalMs);
        timer.unref?.();
      });
  }

  return {
    send() {
      if (closed) return;
      if (busy) pending = true;
      else fire();
    },
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
