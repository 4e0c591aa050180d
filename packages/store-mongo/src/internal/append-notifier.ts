import type { PositionChain } from './position-chain.js';

/**
 * `onAppend` without change streams (FerretDB has none, nor has a standalone MongoDB): appends made
 * through this store object notify at once; appends by other processes are noticed by polling the
 * end of the log every `intervalMs` — one point lookup by `_id` — while at least one listener is
 * registered. One poll serves every listener of the store.
 */
export class AppendNotifier {
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly chain: PositionChain,
    private readonly intervalMs: number,
  ) {}

  add(listener: () => void): () => void {
    const entry = () => listener();
    this.listeners.add(entry);
    this.schedule();
    return () => {
      this.listeners.delete(entry);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Called after an append by this process. */
  appended(): void {
    if (this.listeners.size > 0) queueMicrotask(() => this.notify());
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stop();
  }

  private notify(): void {
    for (const listener of this.listeners) {
      // A listener is only a wake-up signal: one that throws must not starve the others or crash the process.
      try {
        listener();
      } catch {}
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed || this.listeners.size === 0) return;
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
    // Polling alone must not keep a process alive.
    this.timer.unref?.();
  }

  private stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    try {
      const before = this.chain.knownEnd;
      const end = await this.chain.refresh();
      if (before !== undefined && end > before) this.notify();
    } catch {
      // The server is unreachable: keep polling, the next poll notices appends made meanwhile.
    } finally {
      this.timer = undefined;
      this.schedule();
    }
  }
}
