import type { CheckpointStore } from './checkpoint-store.js';
import { ConfigurationError } from './errors.js';
import type { RecordedEvent } from './event.js';
import type { EventStore } from './event-store.js';
import { mutex } from './internal/mutex.js';
import { integerOption, nameOption, numberOption, requireOption } from './internal/options.js';
import { pollLoop } from './internal/poll-loop.js';
import { type Position, START } from './position.js';
import { retryPolicy } from './retry.js';

/** One handler per event type a projection cares about; events of other types are passed over. */
export type ProjectionHandlers = Readonly<Record<string, (event: RecordedEvent) => Promise<void>>>;

/** Options of {@link projection}. */
export interface ProjectionOptions {
  /** Names the projection; its checkpoint is stored as `projection:<name>`. */
  name: string;
  store: EventStore;
  handlers: ProjectionHandlers;
  /**
   * Where the projection keeps its checkpoint. Keep it with the read model: a read model in
   * memory needs its checkpoint in memory too, or a restart would skip the events it lost.
   * @defaultValue `store.checkpoints`
   */
  checkpoints?: CheckpointStore;
  /** Events read and handled per batch (and per checkpoint write). @defaultValue 100 */
  batchSize?: number;
  /** Longest idle wait between passes when the store gives no append signal. @defaultValue 1_000 */
  pollIntervalMs?: number;
  /** Clears the read model before {@link Projection.rebuild} replays the log. */
  reset?: () => Promise<void>;
  /**
   * Wraps each batch: its handlers and the checkpoint write. A store with transactions can run
   * `work` in one transaction, so read-model writes and the checkpoint commit together and
   * handlers run effectively once.
   * @defaultValue runs `work` as it is (handlers then run at least once)
   */
  transaction?: (work: () => Promise<void>) => Promise<void>;
  /** Called with each failed pass of the background loop (which then backs off and retries). @defaultValue emits a process warning */
  onError?: (error: unknown) => void;
}

/** What {@link Projection.runOnce} or {@link Projection.rebuild} did. */
export interface ProjectionRunResult {
  /** Events passed to a handler. */
  readonly handled: number;
  readonly checkpoint: Position;
}

/** A read model kept up to date from the store's log. */
export interface Projection {
  readonly name: string;
  /** Follows the log in the background: woken by appends, polling as a fallback. Does nothing if started. */
  start(): void;
  /** Finishes the batch in flight and stops. */
  stop(): Promise<void>;
  /** Handles everything readable now, batch by batch, then resolves. */
  runOnce(): Promise<ProjectionRunResult>;
  /** Calls `reset`, forgets the checkpoint and replays the whole log; a started projection keeps running afterwards. */
  rebuild(): Promise<ProjectionRunResult>;
  /** Head position minus checkpoint. Positions may have holes, so this bounds the event count from above. */
  lag(): Promise<bigint>;
}

const ERROR_BACKOFF = retryPolicy({ baseDelayMs: 100, maxDelayMs: 30_000 });

/**
 * A named reader of the store's log that feeds events to handlers by type and stores its
 * checkpoint after each batch's handlers succeed. A failure or crash before the checkpoint
 * write replays the batch, so handlers run **at least once**: make them idempotent (upserts
 * keyed by event or stream id), or pass a `transaction` that commits writes and checkpoint together.
 *
 * @example
 * ```ts
 * const usersById = new Map<string, { email: string }>();
 * const users = projection({
 *   name: 'users-by-id',
 *   store,
 *   handlers: { 'user.registered': async (event) => void usersById.set(event.streamId, event.data as { email: string }) },
 *   reset: async () => usersById.clear(),
 * });
 * users.start();
 * ```
 * @throws {@link ConfigurationError} for missing or invalid options.
 */
export function projection(options: ProjectionOptions): Projection {
  const name = nameOption(options?.name, 'name');
  const store = requireOption(options.store, 'store', 'pass an EventStore');
  const handlers = requireHandlers(options.handlers);
  const batchSize = integerOption(options.batchSize, 'batchSize', 100, 1);
  const pollIntervalMs = numberOption(options.pollIntervalMs, 'pollIntervalMs', 1_000, 0);
  const transaction = options.transaction ?? ((work: () => Promise<void>) => work());
  const onError =
    options.onError ??
    ((error: unknown) =>
      process.emitWarning(`[@eventfold/core] Projection "${name}" failed and will retry: ${String(error)}`, {
        code: 'EVENTFOLD_PROJECTION',
      }));
  const checkpointName = `projection:${name}`;
  const checkpoints = options.checkpoints ?? store.checkpoints;
  const exclusive = mutex();

  async function handleBatch(): Promise<{ read: number; handled: number; checkpoint: Position }> {
    const after = (await checkpoints.get(checkpointName)) ?? START;
    const events = await store.readAll({ after, limit: batchSize });
    const last = events[events.length - 1];
    if (last === undefined) return { read: 0, handled: 0, checkpoint: after };
    let handled = 0;
    await transaction(async () => {
      handled = 0;
      for (const event of events) {
        const handler = handlers.get(event.type);
        if (handler === undefined) continue;
        await handler(event);
        handled++;
      }
      await checkpoints.put(checkpointName, last.position);
    });
    return { read: events.length, handled, checkpoint: last.position };
  }

  async function drain(): Promise<ProjectionRunResult> {
    let handled = 0;
    for (;;) {
      const batch = await handleBatch();
      handled += batch.handled;
      // Only an empty read means caught up: stores may cap `limit` below `batchSize`.
      if (batch.read === 0) return { handled, checkpoint: batch.checkpoint };
    }
  }

  const loop = pollLoop({
    pass: () => exclusive(async () => (await handleBatch()).read > 0),
    pollIntervalMs,
    onError,
    errorBackoff: ERROR_BACKOFF,
  });
  let unsubscribe: (() => void) | undefined;

  function start(): void {
    if (loop.running) return;
    unsubscribe = store.onAppend(() => loop.wake());
    loop.start();
  }

  async function stop(): Promise<void> {
    unsubscribe?.();
    unsubscribe = undefined;
    await loop.stop();
  }

  return {
    name,
    start,
    stop,
    runOnce: () => exclusive(drain),
    async rebuild() {
      const wasRunning = loop.running;
      await stop();
      try {
        return await exclusive(async () => {
          await options.reset?.();
          await checkpoints.delete(checkpointName);
          return drain();
        });
      } finally {
        if (wasRunning) start();
      }
    },
    async lag() {
      const [head, checkpoint] = await Promise.all([store.headPosition(), checkpoints.get(checkpointName)]);
      const behind = head - (checkpoint ?? START);
      return behind > 0n ? behind : 0n;
    },
  };
}

function requireHandlers(handlers: ProjectionHandlers | undefined): Map<string, (event: RecordedEvent) => Promise<void>> {
  if (typeof handlers !== 'object' || handlers === null || Object.keys(handlers).length === 0) {
    throw new ConfigurationError(
      "[@eventfold/core] Option `handlers` is required: map event types to async handlers, e.g. { 'user.registered': async (event) => … }.",
    );
  }
  for (const [type, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') {
      throw new ConfigurationError(`[@eventfold/core] Option \`handlers.${type}\` must be a function, got ${typeof handler}.`);
    }
  }
  return new Map(Object.entries(handlers));
}
