import type { Aggregate, DecidedEvent, DomainEvent } from './aggregate.js';
import { type ConcurrencyError, ConfigurationError, isConcurrencyError } from './errors.js';
import type { EventMetadata, NewEvent, RecordedEvent } from './event.js';
import type { EventStore, ExpectedVersion } from './event-store.js';
import { backoffDelay, type RetryPolicy, retryPolicy } from './retry.js';
import { everyNEvents, type SnapshotPolicy } from './snapshot-policy.js';
import { streamIdOf } from './stream-id.js';

/** Options of {@link repository}. */
export interface RepositoryOptions {
  store: EventStore;
  /**
   * When to save snapshots (only for aggregates that declare `snapshot`), or `false` for never.
   * @defaultValue `everyNEvents(10)`: once more than 10 events were appended since the last snapshot
   */
  snapshots?: SnapshotPolicy | false;
  /**
   * How `execute` retries after a `ConcurrencyError` (another writer appended between load and append).
   * @defaultValue `{ maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 200 }`
   */
  retry?: Partial<RetryPolicy>;
  /** Called when saving a snapshot fails. Snapshot failures never fail a command. @defaultValue emits a process warning */
  onSnapshotError?: (error: unknown, streamId: string) => void;
  /** Events read per round trip while loading. @defaultValue 1000 */
  readBatchSize?: number;
}

/** An aggregate's state as loaded. */
export interface LoadedAggregate<State> {
  readonly streamId: string;
  readonly state: State;
  /** The stream's version the state includes (0 for a new aggregate). */
  readonly version: number;
  /** The version covered by the snapshot the load started from (0 when none was used). */
  readonly snapshotVersion: number;
}

/** Options of {@link Repository.execute}. */
export interface ExecuteOptions {
  /**
   * Require the stream to be at this version. When given, a `ConcurrencyError` is thrown
   * rather than retried: the caller decided against that exact version.
   */
  expectedVersion?: ExpectedVersion;
  /** Merged into the metadata of every event the command produces (e.g. `correlationId`). */
  metadata?: EventMetadata;
}

/** Outcome of {@link Repository.execute}. */
export interface ExecuteResult<State> {
  readonly streamId: string;
  /** The events appended (none when the command decided nothing). */
  readonly events: readonly RecordedEvent[];
  /** The stream's version after the command. */
  readonly version: number;
  /** The state after the command. */
  readonly state: State;
}

/** Loads aggregates from an event store and runs commands against them. */
export interface Repository<State, Command> {
  /** Loads an aggregate by id (not the stream id): latest snapshot plus the events after it. */
  load(id: string): Promise<LoadedAggregate<State>>;
  /**
   * Loads, decides and appends with the loaded version as the expected version, retrying a
   * bounded number of times when another writer got there first.
   *
   * @throws the aggregate's `DomainError`s, `ValidationError` for events the catalog rejects,
   * `ConcurrencyError` when retries run out or `expectedVersion` was given and did not match.
   */
  execute(id: string, command: Command, options?: ExecuteOptions): Promise<ExecuteResult<State>>;
}

// Conflicts between writers of one aggregate clear in milliseconds: retry quickly.
const DEFAULT_RETRY: Partial<RetryPolicy> = { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 200 };

/**
 * Builds a repository for one aggregate over an event store.
 *
 * @example
 * ```ts
 * const users = repository(userAggregate, { store });
 * const { events, version } = await users.execute(userId, { type: 'register', username: 'ada' });
 * ```
 */
export function repository<State, Command, Event extends DomainEvent>(
  aggregate: Aggregate<State, Command, Event>,
  options: RepositoryOptions,
): Repository<State, Command> {
  const { store } = options;
  if (store === undefined) throw new ConfigurationError('[@eventfold/core] Option `store` is required: pass an EventStore.');
  const retry = retryPolicy({ ...DEFAULT_RETRY, ...options.retry });
  const snapshotPolicy =
    aggregate.snapshot === undefined || options.snapshots === false ? undefined : (options.snapshots ?? everyNEvents(10));
  const readBatchSize = options.readBatchSize ?? 1000;
  const onSnapshotError =
    options.onSnapshotError ??
    ((error: unknown, streamId: string) =>
      process.emitWarning(`[@eventfold/core] Saving a snapshot of ${streamId} failed: ${String(error)}`, { code: 'EVENTFOLD_SNAPSHOT' }));

  async function startingPoint(streamId: string): Promise<{ state: State; version: number }> {
    const { snapshot } = aggregate;
    if (snapshot === undefined || snapshotPolicy === undefined) return { state: aggregate.initialState(), version: 0 };
    const saved = await store.snapshots.get(streamId);
    // A snapshot of another format version is stale by definition: rebuild from events.
    if (saved === undefined || saved.schemaVersion !== snapshot.version) return { state: aggregate.initialState(), version: 0 };
    const state = snapshot.deserialize ? snapshot.deserialize(saved.state, saved.version) : (saved.state as State);
    return { state, version: saved.version };
  }

  async function load(id: string): Promise<LoadedAggregate<State>> {
    const streamId = streamIdOf(aggregate.name, id);
    const start = await startingPoint(streamId);
    let { state, version } = start;
    for (;;) {
      const page = await store.readStream(streamId, { fromVersion: version + 1, limit: readBatchSize });
      const events = aggregate.events ? await aggregate.events.decodeAll(page) : page;
      for (const event of events) state = aggregate.evolve(state, event as unknown as Event);
      version = page.at(-1)?.version ?? version;
      if (page.length < readBatchSize) break;
    }
    return { streamId, state, version, snapshotVersion: start.version };
  }

  async function toNewEvents(decided: DecidedEvent<Event>[], metadata: EventMetadata | undefined): Promise<NewEvent[]> {
    return Promise.all(
      decided.map(async (event) => {
        const withMetadata: NewEvent = metadata === undefined ? event : { ...event, metadata: { ...metadata, ...event.metadata } };
        return aggregate.events ? aggregate.events.encode(withMetadata) : withMetadata;
      }),
    );
  }

  function saveSnapshotInBackground(streamId: string, state: State, version: number): void {
    const { snapshot } = aggregate;
    if (snapshot === undefined) return;
    // Not awaited: a slow or failing snapshot write must never delay or fail the command.
    void Promise.resolve()
      .then(() =>
        store.snapshots.put({
          streamId,
          version,
          schemaVersion: snapshot.version,
          state: snapshot.serialize ? snapshot.serialize(state) : state,
          takenAt: new Date(),
        }),
      )
      .catch((error: unknown) => onSnapshotError(error, streamId));
  }

  async function execute(id: string, command: Command, executeOptions: ExecuteOptions = {}): Promise<ExecuteResult<State>> {
    let lastConflict: ConcurrencyError | undefined;
    for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
      const loaded = await load(id);
      const decided = await aggregate.decide(command, loaded.state);
      if (decided.length === 0) {
        return { streamId: loaded.streamId, events: [], version: loaded.version, state: loaded.state };
      }
      const events = await toNewEvents(decided, executeOptions.metadata);
      try {
        const result = await store.append(loaded.streamId, events, {
          expectedVersion: executeOptions.expectedVersion ?? loaded.version,
        });
        let state = loaded.state;
        for (const recorded of result.events) state = aggregate.evolve(state, recorded as unknown as Event);
        if (snapshotPolicy?.({ version: result.version, snapshotVersion: loaded.snapshotVersion })) {
          saveSnapshotInBackground(loaded.streamId, state, result.version);
        }
        return { streamId: loaded.streamId, events: result.events, version: result.version, state };
      } catch (error) {
        if (!isConcurrencyError(error) || executeOptions.expectedVersion !== undefined) throw error;
        lastConflict = error;
        if (attempt < retry.maxAttempts) await sleep(backoffDelay(attempt, retry));
      }
    }
    throw lastConflict as ConcurrencyError;
  }

  return { load, execute };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
