import { ConfigurationError } from './errors.js';
import type { EventStore } from './event-store.js';
import { mutex } from './internal/mutex.js';
import { integerOption, nameOption, numberOption, requireOption } from './internal/options.js';
import { pollLoop } from './internal/poll-loop.js';
import { compileRoutes, type RelayRoutes } from './internal/routes.js';
import { type EventMessage, eventToMessage } from './message-headers.js';
import { type Position, START } from './position.js';
import { retryPolicy } from './retry.js';
import type { Transport } from './transport.js';
import { uuidv7 } from './uuid.js';

export type { RelayRoutes } from './internal/routes.js';

/** Options of {@link relay}. */
export interface RelayOptions {
  store: EventStore;
  transport: Transport;
  /** Which topic each event goes to. Events without a route are skipped; the checkpoint still moves past them. */
  routes: RelayRoutes;
  /** Names the lease (one active relay per name) and the checkpoint, stored as `relay:<name>`. @defaultValue `'outbox'` */
  name?: string;
  /** Events read and published per batch. @defaultValue 100 */
  batchSize?: number;
  /** How long the lease lasts unless renewed; another instance takes over after it lapses. Must exceed `pollIntervalMs`. @defaultValue 30_000 */
  leaseTtlMs?: number;
  /** This instance's identity in the lease. @defaultValue a fresh UUIDv7 */
  owner?: string;
  /** Longest idle wait between passes when the store gives no append signal. @defaultValue 1_000 */
  pollIntervalMs?: number;
  /** Called with each failed pass of the background loop (which then backs off and retries). @defaultValue emits a process warning */
  onError?: (error: unknown) => void;
}

/** What {@link Relay.runOnce} did. */
export interface RelayRunResult {
  /** False when another instance holds the lease: this one did nothing. */
  readonly leader: boolean;
  readonly published: number;
  /** Events without a route, passed over. */
  readonly skipped: number;
  /** The checkpoint after the run (`START` when nothing was ever relayed). */
  readonly checkpoint: Position;
}

/** A running (or runnable) outbox relay. */
export interface Relay {
  readonly name: string;
  /** Starts relaying in the background: woken by appends, polling as a fallback. Does nothing if started. */
  start(): void;
  /** Finishes the batch in flight, stops, and gives up the lease. */
  stop(): Promise<void>;
  /** Relays everything readable now, batch by batch, then resolves. Handy in tests and scripts. */
  runOnce(): Promise<RelayRunResult>;
  /** Head position minus checkpoint: how far the relay is behind. Positions may have holes, so this bounds the event count from above. */
  lag(): Promise<bigint>;
}

const ERROR_BACKOFF = retryPolicy({ baseDelayMs: 100, maxDelayMs: 30_000 });

/**
 * The transactional outbox: reads the store's log from a checkpoint, publishes each routed
 * event with {@link eventToMessage}, and moves the checkpoint only after the transport has
 * acknowledged the batch. A crash at any point re-publishes (consumers de-duplicate by event id),
 * never loses. One instance per `name` is active at a time through `store.leases`; the others
 * wait and take over when its lease lapses.
 *
 * @example
 * ```ts
 * const outbox = relay({ store, transport, routes: { user: 'user.created' } });
 * outbox.start();
 * // …
 * await outbox.stop();
 * ```
 * @throws {@link ConfigurationError} for missing or invalid options.
 */
export function relay(options: RelayOptions): Relay {
  const store = requireOption(options?.store, 'store', 'pass an EventStore');
  const transport = requireOption(options.transport, 'transport', 'pass a Transport');
  const route = compileRoutes(options.routes);
  const name = nameOption(options.name, 'name', 'outbox');
  const owner = nameOption(options.owner, 'owner', uuidv7());
  const batchSize = integerOption(options.batchSize, 'batchSize', 100, 1);
  const pollIntervalMs = numberOption(options.pollIntervalMs, 'pollIntervalMs', 1_000, 0);
  const leaseTtlMs = numberOption(options.leaseTtlMs, 'leaseTtlMs', Math.max(30_000, pollIntervalMs * 3), 1);
  if (leaseTtlMs <= pollIntervalMs) {
    throw new ConfigurationError(
      `[@eventfold/core] Option \`leaseTtlMs\` (${leaseTtlMs}) must exceed \`pollIntervalMs\` (${pollIntervalMs}): an idle relay renews its lease once per poll.`,
    );
  }
  const onError =
    options.onError ??
    ((error: unknown) =>
      process.emitWarning(`[@eventfold/core] Relay "${name}" failed and will retry: ${String(error)}`, { code: 'EVENTFOLD_RELAY' }));
  const checkpointName = `relay:${name}`;
  const exclusive = mutex();

  /** One batch. Resolves `undefined` when another instance leads. */
  async function relayBatch(): Promise<{ read: number; published: number; skipped: number; checkpoint: Position } | undefined> {
    if ((await store.leases.acquire(name, owner, leaseTtlMs)) === undefined) return undefined;
    const after = (await store.checkpoints.get(checkpointName)) ?? START;
    const events = await store.readAll({ after, limit: batchSize });
    const last = events[events.length - 1];
    if (last === undefined) return { read: 0, published: 0, skipped: 0, checkpoint: after };

    const byTopic = new Map<string, EventMessage[]>();
    for (const event of events) {
      const topic = route(event);
      if (topic === undefined) continue;
      const messages = byTopic.get(topic) ?? [];
      messages.push(eventToMessage(event));
      byTopic.set(topic, messages);
    }
    // Settle every publish before failing, so no publish of this batch is still in flight when a retry starts.
    const outcomes = await Promise.allSettled([...byTopic].map(([topic, messages]) => transport.publish(topic, messages)));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;

    // Renew before committing: if another instance took over meanwhile, leave the checkpoint to it
    // (it re-publishes this batch, which consumers de-duplicate) instead of moving it under its feet.
    if ((await store.leases.acquire(name, owner, leaseTtlMs)) === undefined) return undefined;
    await store.checkpoints.put(checkpointName, last.position);
    const published = [...byTopic.values()].reduce((sum, messages) => sum + messages.length, 0);
    return { read: events.length, published, skipped: events.length - published, checkpoint: last.position };
  }

  function runOnce(): Promise<RelayRunResult> {
    return exclusive(async () => {
      let published = 0;
      let skipped = 0;
      for (;;) {
        const batch = await relayBatch();
        if (batch === undefined) {
          return { leader: false, published, skipped, checkpoint: (await store.checkpoints.get(checkpointName)) ?? START };
        }
        published += batch.published;
        skipped += batch.skipped;
        // Only an empty read means caught up: stores may cap `limit` below `batchSize`.
        if (batch.read === 0) return { leader: true, published, skipped, checkpoint: batch.checkpoint };
      }
    });
  }

  const loop = pollLoop({
    pass: () => exclusive(async () => ((await relayBatch())?.read ?? 0) > 0),
    pollIntervalMs,
    onError,
    errorBackoff: ERROR_BACKOFF,
  });
  let unsubscribe: (() => void) | undefined;

  return {
    name,
    start() {
      if (loop.running) return;
      unsubscribe = store.onAppend(() => loop.wake());
      loop.start();
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      await loop.stop();
      // Behind any runOnce() in progress, so the lease is not given up under its feet.
      await exclusive(() => store.leases.release(name, owner));
    },
    runOnce,
    async lag() {
      const [head, checkpoint] = await Promise.all([store.headPosition(), store.checkpoints.get(checkpointName)]);
      const behind = head - (checkpoint ?? START);
      return behind > 0n ? behind : 0n;
    },
  };
}
