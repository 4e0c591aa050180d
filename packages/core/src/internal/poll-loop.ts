import { backoffDelay, type RetryPolicy } from '../retry.js';

/** Options of {@link pollLoop}. */
export interface PollLoopOptions {
  /** One unit of work; resolves `true` when more work may be ready at once (the loop then skips the wait). */
  pass: () => Promise<boolean>;
  /** Longest wait between passes when idle and not woken. */
  pollIntervalMs: number;
  /** Called with every error a pass throws; the loop then backs off and carries on. */
  onError: (error: unknown) => void;
  /** Backoff after failed passes; a success resets it. */
  errorBackoff: RetryPolicy;
}

/** A background loop that runs passes until stopped: woken early by {@link PollLoop.wake}, polling otherwise. */
export interface PollLoop {
  readonly running: boolean;
  start(): void;
  /** Asks for a pass soon. A wake during a pass makes the next pass start at once. */
  wake(): void;
  /** Stops after the pass in flight; resolves when it has finished. */
  stop(): Promise<void>;
}

/** One start-to-stop run. Kept apart so a `start()` during a `stop()` never revives the stopping run. */
interface Run {
  stopping: boolean;
  woken: boolean;
  /** Ends the current wait early; `wakeable` tells whether a wake may do it (an error backoff ignores wakes). */
  interrupt: (() => void) | undefined;
  wakeable: boolean;
  done: Promise<void>;
}

/**
 * The loop shared by the relay and projections. Failed passes back off exponentially and
 * ignore wakes while backing off, so a burst of appends cannot hammer a broker that is down.
 */
export function pollLoop(options: PollLoopOptions): PollLoop {
  let current: Run | undefined;

  function wait(run: Run, ms: number, wakeable: boolean): Promise<void> {
    if (run.stopping || (wakeable && run.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      run.wakeable = wakeable;
      run.interrupt = done;
      function done(): void {
        clearTimeout(timer);
        run.interrupt = undefined;
        resolve();
      }
    });
  }

  async function loop(run: Run): Promise<void> {
    let failures = 0;
    while (!run.stopping) {
      run.woken = false;
      let more = false;
      try {
        more = await options.pass();
        failures = 0;
      } catch (error) {
        failures++;
        report(error);
        await wait(run, backoffDelay(failures, options.errorBackoff), false);
        continue;
      }
      if (!more) await wait(run, options.pollIntervalMs, true);
    }
  }

  function report(error: unknown): void {
    try {
      options.onError(error);
    } catch {
      // A throwing error callback must not kill the loop.
    }
  }

  return {
    get running() {
      return current !== undefined;
    },
    start() {
      if (current !== undefined) return;
      const run: Run = { stopping: false, woken: false, interrupt: undefined, wakeable: false, done: Promise.resolve() };
      // Current before the loop starts: the first pass may already call wake() synchronously.
      current = run;
      run.done = loop(run);
    },
    wake() {
      if (current === undefined) return;
      current.woken = true;
      if (current.wakeable) current.interrupt?.();
    },
    async stop() {
      const run = current;
      if (run === undefined) return;
      current = undefined;
      run.stopping = true;
      run.interrupt?.();
      await run.done;
    },
  };
}
