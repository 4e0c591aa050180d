import { afterAll, beforeAll, describe } from 'vitest';
import type { EventStore } from '../event-store.js';
import { describeAppendLaws } from './internal/append-laws.js';
import { describeConcurrencyLaws } from './internal/concurrency-laws.js';
import {
  type ConformanceContext,
  DEFAULT_NUM_RUNS,
  type FcRunParameters,
  type PropertyLaw,
  type ResolvedConformanceOptions,
} from './internal/conformance-context.js';
import { describeIdempotencyLaws } from './internal/idempotency-laws.js';
import { describeModelLaws } from './internal/model-laws.js';
import { describeReadLaws } from './internal/read-laws.js';
import { describeSideStoreLaws } from './internal/side-store-laws.js';
import { describeValidationLaws } from './internal/validation-laws.js';

/** Opens a store for the conformance suite. Each call may return a new store over the same data. */
export type EventStoreFactory = () => EventStore | Promise<EventStore>;

/** The property laws whose number of runs an adapter can set. */
export type EventStoreLaw = 'roundTrip' | 'expectedVersion' | 'readStream' | 'model' | 'concurrency';

/** Options of {@link describeEventStoreConformance}. */
export interface EventStoreConformanceOptions {
  /** Runs once after the suite has closed every store it opened: end pools, drop schemas, stop servers. */
  teardown?: () => void | Promise<void>;
  /** Writers racing in the concurrency laws (keep it within the adapter's connection pool). @defaultValue 8 */
  concurrency?: number;
  /**
   * Multiplies the default number of runs of every property law (at least 1 run each), e.g. `0.1`
   * against a real server. Defaults: model 200, concurrency 100, roundTrip 100, expectedVersion 100, readStream 100.
   * @defaultValue 1
   */
  numRunsScale?: number;
  /** Exact runs per law; wins over `numRunsScale`. */
  numRuns?: Partial<Record<EventStoreLaw, number>>;
  /** Timeout of each test, in ms. @defaultValue 60_000 */
  timeoutMs?: number;
  /** The short ttl of the lease-expiry test, in ms; the test waits about twice as long. @defaultValue 250 */
  leaseTtlMs?: number;
  /** How long to wait for an `onAppend` call. @defaultValue 5_000 */
  notificationTimeoutMs?: number;
  /** Greatest accepted difference between the store's clock (`recordedAt`, lease expiry) and the test's. @defaultValue 60_000 */
  clockSkewMs?: number;
  /**
   * Replays a failing property: the seed fast-check printed. A path belongs to one property, so
   * select that law alone when replaying (`vitest -t '<law title>'`).
   * @defaultValue the `FC_SEED` environment variable
   */
  seed?: number;
  /** Replays a failing property: the path fast-check printed (used with `seed`). @defaultValue the `FC_PATH` environment variable */
  path?: string;
  /** Replays a failing model run: the `replayPath` fast-check printed. @defaultValue the `FC_REPLAY_PATH` environment variable */
  replayPath?: string;
}

function environment(name: string): string | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  return value === undefined || value === '' ? undefined : value;
}

function resolveOptions(options: EventStoreConformanceOptions): ResolvedConformanceOptions {
  const scale = options.numRunsScale ?? 1;
  const numRuns = {} as Record<PropertyLaw, number>;
  for (const law of Object.keys(DEFAULT_NUM_RUNS) as PropertyLaw[]) {
    numRuns[law] = Math.max(1, Math.round(options.numRuns?.[law] ?? DEFAULT_NUM_RUNS[law] * scale));
  }
  const seed = options.seed ?? (environment('FC_SEED') === undefined ? undefined : Number(environment('FC_SEED')));
  return {
    concurrency: Math.max(2, options.concurrency ?? 8),
    timeoutMs: options.timeoutMs ?? 60_000,
    leaseTtlMs: options.leaseTtlMs ?? 250,
    notificationTimeoutMs: options.notificationTimeoutMs ?? 5_000,
    clockSkewMs: options.clockSkewMs ?? 60_000,
    numRuns,
    seed,
    path: options.path ?? environment('FC_PATH'),
    replayPath: options.replayPath ?? environment('FC_REPLAY_PATH'),
  };
}

/**
 * The conformance suite of the `EventStore` port: every contract point of the port as a vitest
 * test, plus fast-check laws (round trips, expected versions, a model-based run against a
 * reference model, concurrent writers with a polling reader). An adapter proves itself by
 * passing it, with nothing else.
 *
 * The suite never assumes the store is empty and never deletes anything: each test and each
 * property run writes under its own random stream-id namespace. It opens one store with
 * `factory` for all tests (and one more for the `close` test) and closes them when done.
 * Laws that need a capability run only when the store declares it, and are reported as skipped
 * with the reason otherwise.
 *
 * Contract decisions the port leaves open, and that every store must follow:
 * - After `append` resolves, and with no other append in flight, `readAll` returns its events.
 * - `readAll` may return fewer events than `limit`, but at least one while any matching event is
 *   visible after `after`; an empty page means "nothing more now". `limit: 0` returns no events,
 *   and so does an empty `categories` or `types` list.
 * - A category matches exactly (`a` matches `a-1` and `a`, never `ab-1`).
 * - Every event appended after `headPosition()` returned `h` has a position greater than `h`.
 * - Event ids are any non-empty strings, not only UUIDs.
 * - Idempotency: a batch whose ids are all stored, in this stream, at consecutive versions in the
 *   same order is a repeat (even a run inside an earlier append): it returns those events as
 *   recorded, whatever `expectedVersion` says. Any other overlap is a `DuplicateEventError`.
 *   Concurrent repeats of one append all resolve to the same result.
 * - `ConcurrencyError.actual` is a version that does not satisfy `expected`.
 * - Snapshots: a put with the same version as the stored one replaces it. A state that is not JSON,
 *   like bad append input, is a `ValidationError`.
 * - Checkpoints round-trip every position from 0 to 2^63 - 1.
 * - A lease `ttlMs` that is not a positive finite number is a `ValidationError`.
 * - `close()` may be called twice; a closed store rejects use with a `ConfigurationError`.
 *
 * @example
 * ```ts
 * // postgres-event-store.contract.int.test.ts
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * describeEventStoreConformance('postgresEventStore', () => postgresEventStore({ pool }), {
 *   teardown: () => pool.end(),
 *   numRunsScale: 0.2,
 * });
 * ```
 */
export function describeEventStoreConformance(name: string, factory: EventStoreFactory, options: EventStoreConformanceOptions = {}): void {
  const resolved = resolveOptions(options);
  let shared: EventStore | undefined;

  const context: ConformanceContext = {
    options: resolved,
    store() {
      if (shared === undefined) throw new Error(`[@eventfold/core/testing] The store of "${name}" is not open: its factory failed.`);
      return shared;
    },
    openStore: async () => factory(),
    fcParameters(law: PropertyLaw): FcRunParameters {
      return {
        numRuns: resolved.numRuns[law],
        verbose: true,
        ...(resolved.seed !== undefined && { seed: resolved.seed }),
        ...(resolved.seed !== undefined && resolved.path !== undefined && { path: resolved.path }),
      };
    },
  };

  describe(`EventStore conformance: ${name}`, () => {
    beforeAll(async () => {
      shared = await factory();
    }, resolved.timeoutMs);

    afterAll(async () => {
      try {
        await shared?.close();
      } finally {
        shared = undefined;
        await options.teardown?.();
      }
    }, resolved.timeoutMs);

    describeAppendLaws(context);
    describeValidationLaws(context);
    describeIdempotencyLaws(context);
    describeReadLaws(context);
    describeConcurrencyLaws(context);
    describeSideStoreLaws(context);
    describeModelLaws(context);
  });
}
