import type { PostgresPool, PostgresPoolClient } from '../postgres-pool.js';
import { ident } from './sql.js';

/** Calls listeners when the appends' NOTIFY arrives, on one dedicated connection, and at once for this process's own appends. */
export interface AppendNotifier {
  add(listener: () => void): () => void;
  /**
   * An append of this process committed: calls the listeners in a microtask, without waiting for
   * the NOTIFY's round trip through the server (a relay in the writing process hears of it at once).
   */
  committedHere(): void;
  close(): void;
  /** True while the listening connection is up (for tests and diagnostics). */
  readonly listening: boolean;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * Holds one connection from `pool` in `LISTEN` while there are listeners, and reconnects with
 * backoff when it breaks (a server restart, a terminated backend). On every (re)connection the
 * listeners are called once, since appends may have committed while nobody was listening.
 */
export function appendNotifier(pool: PostgresPool, channel: string): AppendNotifier {
  const listeners = new Set<() => void>();
  let client: PostgresPoolClient | undefined;
  let connecting = false;
  let closed = false;
  let backoff = MIN_BACKOFF_MS;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function notify(): void {
    for (const listener of [...listeners]) {
      // A listener is only a wake-up signal: one that throws must not starve the others.
      try {
        listener();
      } catch {}
    }
  }

  function drop(current: PostgresPoolClient, error: Error | true): void {
    if (client !== current) return;
    client = undefined;
    try {
      current.release(error);
    } catch {}
    scheduleConnect();
  }

  function scheduleConnect(): void {
    if (closed || listeners.size === 0 || client !== undefined || connecting || retryTimer !== undefined) return;
    connecting = true;
    void connect().finally(() => {
      connecting = false;
    });
  }

  async function connect(): Promise<void> {
    let current: PostgresPoolClient | undefined;
    try {
      current = await pool.connect();
      const own = current;
      // Without an 'error' listener a broken idle connection would crash the process.
      own.on('error', (error) => drop(own, error));
      own.on('end', () => drop(own, true));
      own.on('notification', (message) => {
        if (message.channel === channel) notify();
      });
      client = own;
      await own.query({ text: `listen ${ident(channel)}` });
      if (closed || listeners.size === 0) {
        stop();
        return;
      }
      backoff = MIN_BACKOFF_MS;
      notify();
    } catch (error) {
      if (current !== undefined) {
        if (client === current) client = undefined;
        try {
          current.release(error instanceof Error ? error : true);
        } catch {}
      }
      if (closed || listeners.size === 0) return;
      const delay = backoff;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        scheduleConnect();
      }, delay);
      retryTimer.unref?.();
    }
  }

  function stop(): void {
    if (retryTimer !== undefined) clearTimeout(retryTimer);
    retryTimer = undefined;
    const current = client;
    client = undefined;
    // Closed rather than returned: a pooled connection must not stay subscribed to the channel.
    if (current !== undefined) {
      try {
        current.release(true);
      } catch {}
    }
  }

  return {
    committedHere() {
      if (listeners.size > 0) queueMicrotask(notify);
    },
    add(listener) {
      // Wrapped, so the same function added twice is two subscriptions, each stopped on its own.
      const entry = () => listener();
      listeners.add(entry);
      scheduleConnect();
      return () => {
        if (!listeners.delete(entry)) return;
        if (listeners.size === 0) stop();
      };
    },
    close() {
      closed = true;
      listeners.clear();
      stop();
    },
    get listening() {
      return client !== undefined && !connecting;
    },
  };
}
