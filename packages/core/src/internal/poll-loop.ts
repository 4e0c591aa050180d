import { backoffDelay, type RetryPolicy } from '../retry.js';

/** Options of {@link pollLoop}. */
export interface PollLoopOptions {
  /** One unit of work; resolves `true` when more work is ready at once (the loop then skips the wait). */
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

/**
 * The loop shared by the relay and projections. Failed passes back off exponentially and
 * ignore wakes while backing off, so a burst of appends cannot hammer a broker that is down.
 */
export function pollLoop(options: PollLoopOptions): PollLoop {
  let loop: Promise<void> | undefined;
  let stopping = false;
  let woken = false;
  let interrupt: (() => void) | undefined;
  let wakeable = false;

  function wait(ms: number, byWake: boolean): Promise<void> {
    if (stopping || (byWake && woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      wakeable = byWake;
      interrupt = done;
      function done(): void {
        clearTimeout(timer);
        interrupt = undefined;
        resolve();
      }
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      woken = false;
      let more = false;
      try {
        more = await options.pass();
        failures = 0;
      } catch (error) {
        failures++;
        report(error);
        await wait(backoffDelay(failures, options.errorBackoff), false);
        continue;
      }
      if (!more) await wait(options.pollIntervalMs, true);
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
      return loop !== undefined;
    },
    start() {
      if (loop !== undefined) return;
      stopping = false;
      loop = run();
    },
    wake() {
      woken = true;
      if (wakeable) interrupt?.();
    },
    async stop() {
      const current = loop;
      if (current === undefined) return;
      stopping = true;
      interrupt?.();
      await current;
      if (loop === current) loop = undefined;
    },
  };
}
