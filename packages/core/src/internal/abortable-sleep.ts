/** Raised inside a consumer when it is stopped while a message waits to be retried. */
export class StoppedError extends Error {
  constructor() {
    super('[@eventfold/core] Stopped while waiting to retry');
    this.name = 'StoppedError';
  }
}

/** Waits `ms`, or rejects with {@link StoppedError} as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new StoppedError());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(new StoppedError());
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
