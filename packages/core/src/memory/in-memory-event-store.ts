import { checkAppendInput } from '../append-input.js';
import { ConcurrencyError, ConfigurationError, DuplicateEventError } from '../errors.js';
import type { NewEvent, RecordedEvent } from '../event.js';
import type { AppendOptions, AppendResult, EventStore, ReadAllOptions, ReadStreamOptions, StoreCapabilities } from '../event-store.js';
import { satisfiesExpectedVersion } from '../internal/expected-version.js';
import { cloneAsJson, deepFreeze } from '../internal/json.js';
import { type Position, START } from '../position.js';
import { checkReadAllOptions, checkReadStreamOptions } from '../read-input.js';
import { streamCategory } from '../stream-id.js';
import { uuidv7 } from '../uuid.js';
import { inMemoryCheckpointStore } from './in-memory-checkpoint-store.js';
import { inMemoryInbox } from './in-memory-inbox.js';
import { inMemoryLeaseStore } from './in-memory-lease-store.js';
import { inMemorySnapshotStore } from './in-memory-snapshot-store.js';

/** Options of {@link inMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /** Clock for `recordedAt` and lease expiry. @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** An in-memory event store: its state, and the escape hatch to inspect it. */
export interface InMemoryEventStore extends EventStore {
  /** Every event in store-wide order. For tests and debugging. */
  allEvents(): readonly RecordedEvent[];
}

/**
 * An event store held in memory, with the full `EventStore` contract. Use it for unit
 * tests, demos and prototypes; its data lives as long as the process.
 *
 * @example
 * ```ts
 * const store = inMemoryEventStore();
 * await store.append('user-1', [{ type: 'user.registered', data: { name: 'Ada' } }], { expectedVersion: 'no-stream' });
 * const events = await store.readStream('user-1');
 * ```
 */
export function inMemoryEventStore(options: InMemoryEventStoreOptions = {}): InMemoryEventStore {
  const now = options.now ?? (() => new Date());
  const log: RecordedEvent[] = [];
  const streams = new Map<string, RecordedEvent[]>();
  const eventsById = new Map<string, RecordedEvent>();
  const listeners = new Set<() => void>();
  const capabilities: StoreCapabilities = { transactions: false, appendNotifications: true };
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new ConfigurationError('[@eventfold/core] The in-memory event store was used after close().');
  }

  function resultOf(streamId: string, events: readonly RecordedEvent[]): AppendResult {
    const last = events[events.length - 1] as RecordedEvent;
    return { streamId, version: last.version, position: last.position, events };
  }

  /** The original result when every event id is already stored, in order, in this stream; throws when some are stored elsewhere. */
  function findRepeat(streamId: string, events: readonly NewEvent[]): AppendResult | undefined {
    const stored = events.map((event) => (event.id === undefined ? undefined : eventsById.get(event.id)));
    if (stored.every((event) => event === undefined)) return undefined;
    const first = stored[0];
    const samePlace =
      first !== undefined &&
      stored.every((event, index) => event !== undefined && event.streamId === streamId && event.version === first.version + index);
    if (samePlace) return resultOf(streamId, stored as RecordedEvent[]);
    const clash = stored.findIndex((event) => event !== undefined);
    throw new DuplicateEventError(events[clash]?.id as string, streamId);
  }

  async function append(streamId: string, events: readonly NewEvent[], appendOptions?: AppendOptions): Promise<AppendResult> {
    assertOpen();
    const expected = checkAppendInput(streamId, events, appendOptions);
    const payloads = events.map((event, index) => ({
      data: cloneAsJson(event.data, ['events', index, 'data']),
      metadata: cloneAsJson(event.metadata ?? {}, ['events', index, 'metadata']),
    }));

    const repeat = findRepeat(streamId, events);
    if (repeat !== undefined) return repeat;

    const stream = streams.get(streamId) ?? [];
    if (!satisfiesExpectedVersion(expected, stream.length)) {
      throw new ConcurrencyError(streamId, expected, stream.length);
    }
    const recordedAt = now();
    const recorded = events.map((event, index): RecordedEvent => {
      const payload = payloads[index] as (typeof payloads)[number];
      return deepFreeze({
        id: event.id ?? uuidv7(),
        type: event.type,
        schemaVersion: event.schemaVersion ?? 1,
        streamId,
        version: stream.length + index + 1,
        position: BigInt(log.length + index + 1),
        data: payload.data,
        metadata: payload.metadata as RecordedEvent['metadata'],
        recordedAt,
      });
    });
    for (const event of recorded) {
      stream.push(event);
      log.push(event);
      eventsById.set(event.id, event);
    }
    streams.set(streamId, stream);
    if (listeners.size > 0) queueMicrotask(() => notify());
    return resultOf(streamId, recorded);
  }

  function notify(): void {
    for (const listener of listeners) {
      // A listener is only a wake-up signal: one that throws must not starve the others or crash the process.
      try {
        listener();
      } catch {}
    }
  }

  async function readStream(streamId: string, readOptions: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertOpen();
    checkReadStreamOptions(readOptions);
    const stream = streams.get(streamId) ?? [];
    const limit = readOptions.limit ?? Number.POSITIVE_INFINITY;
    if (readOptions.direction === 'backward') {
      const from = Math.min(readOptions.fromVersion ?? stream.length, stream.length);
      const start = Math.max(0, from - limit);
      return stream.slice(start, Math.max(0, from)).reverse();
    }
    const from = Math.max(1, readOptions.fromVersion ?? 1);
    return stream.slice(from - 1, limit === Number.POSITIVE_INFINITY ? undefined : from - 1 + limit);
  }

  async function readAll(readOptions: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    assertOpen();
    checkReadAllOptions(readOptions);
    const after = readOptions.after ?? START;
    const limit = readOptions.limit ?? Number.POSITIVE_INFINITY;
    const categories = readOptions.categories === undefined ? undefined : new Set(readOptions.categories);
    const types = readOptions.types === undefined ? undefined : new Set(readOptions.types);
    const result: RecordedEvent[] = [];
    // Positions are dense here (index + 1), so the first candidate is found without a scan.
    for (let index = Number(after < 0n ? 0n : after); index < log.length && result.length < limit; index++) {
      const event = log[index] as RecordedEvent;
      if (categories !== undefined && !categories.has(streamCategory(event.streamId))) continue;
      if (types !== undefined && !types.has(event.type)) continue;
      result.push(event);
    }
    return result;
  }

  return {
    capabilities,
    append,
    readStream,
    readAll,
    async headPosition(): Promise<Position> {
      assertOpen();
      return log.length === 0 ? START : (log[log.length - 1] as RecordedEvent).position;
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshots: inMemorySnapshotStore(),
    checkpoints: inMemoryCheckpointStore(),
    inbox: inMemoryInbox(),
    leases: inMemoryLeaseStore({ now }),
    allEvents: () => log,
    async close() {
      closed = true;
      listeners.clear();
    },
  };
}
