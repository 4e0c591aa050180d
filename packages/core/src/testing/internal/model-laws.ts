import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConcurrencyError, type DuplicateEventError, isConcurrencyError } from '../../errors.js';
import type { NewEvent, RecordedEvent } from '../../event.js';
import type { AppendResult, EventStore, ExpectedVersion, ReadStreamOptions } from '../../event-store.js';
import type { Position } from '../../position.js';
import type { Snapshot } from '../../snapshot-store.js';
import { expectAppended } from './append-laws.js';
import { jsonData, newEvent } from './arbitraries.js';
import {
  asJson,
  type ConformanceContext,
  eventId,
  expectEventfoldError,
  expectStoreOrder,
  inNamespace,
  namespace,
  readAllPages,
  satisfies,
} from './conformance-context.js';
import { expectedVersions } from './read-laws.js';

// The reference model: plain maps and arrays holding what the store must hold. Appends are
// checked against predictions (versions, ids, data, the ConcurrencyError verdict); the
// recorded events the store returns are then kept, so every later read is compared with
// exactly what the append reported (positions and recordedAt included).

interface Model {
  readonly streams: Map<number, RecordedEvent[]>;
  /** Every event of the run in store-wide order (commands run one at a time, so that is append order). */
  readonly log: RecordedEvent[];
  /** Acknowledged appends, with the index of their stream. */
  readonly appends: { readonly stream: number; readonly result: AppendResult }[];
  readonly snapshots: Map<number, Snapshot>;
  readonly checkpoints: Map<number, Position>;
  /** How far the model's subscriber has read the log. */
  cursor: number;
}

interface Real {
  readonly store: EventStore;
  readonly ns: string;
  /** The store's head when the run started: the run's events all come after it. */
  readonly head: Position;
  /** The position the run's subscriber resumes after. */
  cursor: Position;
}

type Command = fc.AsyncCommand<Model, Real>;

const STREAMS = 3;
const streamIdOf = (real: Real, stream: number): string => `${real.ns}${stream === 2 ? 'y' : 'x'}-${stream}`;
const categoriesOf = (real: Real): string[] => [`${real.ns}x`, `${real.ns}y`];
const versionOf = (model: Model, stream: number): number => model.streams.get(stream)?.length ?? 0;

type ExpectedKind = 'any' | 'no-stream' | 'exists' | 'exact' | 'stale' | 'ahead' | 'omitted';

function expectedFor(kind: ExpectedKind, version: number): ExpectedVersion | undefined {
  switch (kind) {
    case 'exact':
      return version;
    case 'stale':
      return Math.max(0, version - 1);
    case 'ahead':
      return version + 1;
    case 'omitted':
      return undefined;
    default:
      return kind;
  }
}

class Append implements Command {
  constructor(
    readonly stream: number,
    readonly batch: readonly NewEvent[],
    readonly withIds: boolean,
    readonly kind: ExpectedKind,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const streamId = streamIdOf(real, this.stream);
    const before = versionOf(model, this.stream);
    const expected = expectedFor(this.kind, before);
    const events = this.withIds ? this.batch.map((event) => ({ ...event, id: eventId() })) : [...this.batch];
    const options = expected === undefined ? undefined : { expectedVersion: expected };
    if (!satisfies(expected ?? 'any', before)) {
      const error = (await expectEventfoldError(real.store.append(streamId, events, options), 'CONCURRENCY')) as ConcurrencyError;
      expect(isConcurrencyError(error)).toBe(true);
      expect([error.streamId, error.expected, error.actual]).toEqual([streamId, expected, before]);
      return;
    }
    const result = await real.store.append(streamId, events, options);
    expectAppended(result, streamId, events, before);
    const last = model.log[model.log.length - 1];
    if (last !== undefined) expect((result.events[0] as RecordedEvent).position > last.position).toBe(true);
    model.streams.set(this.stream, [...(model.streams.get(this.stream) ?? []), ...result.events]);
    model.log.push(...result.events);
    model.appends.push({ stream: this.stream, result });
  }
  toString(): string {
    return `append(stream ${this.stream}, ${this.batch.length} events, ${this.kind}${this.withIds ? ', with ids' : ''})`;
  }
}

class Repeat implements Command {
  constructor(
    readonly pick: number,
    readonly kind: ExpectedKind,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.appends.length > 0;
  }
  async run(model: Model, real: Real): Promise<void> {
    const { stream: own, result: original } = model.appends[this.pick % model.appends.length] as Model['appends'][number];
    const events = original.events.map((event) => ({ id: event.id, type: event.type, data: event.data, metadata: event.metadata }));
    // The stream has usually moved on, so most of these expected versions are stale: a repeat wins anyway.
    const expected = expectedFor(this.kind, versionOf(model, own));
    const repeat = await real.store.append(original.streamId, events, expected === undefined ? undefined : { expectedVersion: expected });
    expect(repeat).toEqual(original);
  }
  toString(): string {
    return `repeat(append #${this.pick}, ${this.kind})`;
  }
}

class DuplicateElsewhere implements Command {
  constructor(
    readonly pick: number,
    readonly shift: number,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.appends.length > 0;
  }
  async run(model: Model, real: Real): Promise<void> {
    const { stream: own, result: original } = model.appends[this.pick % model.appends.length] as Model['appends'][number];
    const event = original.events[0] as RecordedEvent;
    const target = streamIdOf(real, (own + this.shift) % STREAMS);
    const error = (await expectEventfoldError(
      real.store.append(target, [
        { id: eventId(), type: 'item.created', data: {} },
        { id: event.id, type: event.type, data: event.data },
      ]),
      'DUPLICATE_EVENT',
    )) as DuplicateEventError;
    expect([error.eventId, error.streamId]).toEqual([event.id, target]);
  }
  toString(): string {
    return `duplicateElsewhere(append #${this.pick}, +${this.shift})`;
  }
}

class ReadStream implements Command {
  constructor(
    readonly stream: number,
    readonly options: ReadStreamOptions,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const events = model.streams.get(this.stream) ?? [];
    const read = await real.store.readStream(streamIdOf(real, this.stream), this.options);
    expect(read).toEqual(expectedVersions(events.length, this.options).map((version) => events[version - 1]));
  }
  toString(): string {
    return `readStream(stream ${this.stream}, ${JSON.stringify(this.options)})`;
  }
}

type Filter = 'none' | 'x' | 'y' | 'both' | 'types' | 'types+x';

class ReadAll implements Command {
  constructor(
    readonly filter: Filter,
    readonly types: readonly string[],
    readonly limit: number | undefined,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const [x, y] = categoriesOf(real) as [string, string];
    const categories = { none: undefined, x: [x], y: [y], both: [x, y], types: undefined, 'types+x': [x] }[this.filter];
    const types = this.filter.startsWith('types') ? this.types : undefined;
    const options = {
      after: real.head,
      ...(categories && { categories }),
      ...(types && { types }),
      ...(this.limit && { limit: this.limit }),
    };
    const read = await readAllPages(real.store, options);
    if (types !== undefined) for (const event of read) expect(types).toContain(event.type);
    const ours = inNamespace(read, real.ns);
    expectStoreOrder(ours);
    const wanted = model.log.filter(
      (event) =>
        (categories === undefined || categories.some((category) => event.streamId.startsWith(`${category}-`))) &&
        (types === undefined || types.includes(event.type)),
    );
    expect(ours).toEqual(wanted);
  }
  toString(): string {
    return `readAll(${this.filter}${this.filter.startsWith('types') ? ` ${JSON.stringify(this.types)}` : ''}, limit ${this.limit})`;
  }
}

class Subscribe implements Command {
  constructor(readonly limit: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const page = await real.store.readAll({ after: real.cursor, categories: categoriesOf(real), limit: this.limit });
    const pending = model.log.slice(model.cursor);
    if (pending.length === 0) {
      expect(page).toEqual([]);
      return;
    }
    expect(page.length).toBeGreaterThanOrEqual(1);
    expect(page.length).toBeLessThanOrEqual(this.limit);
    expect(page).toEqual(pending.slice(0, page.length));
    model.cursor += page.length;
    real.cursor = (page[page.length - 1] as RecordedEvent).position;
  }
  toString(): string {
    return `subscriberPage(limit ${this.limit})`;
  }
}

class Head implements Command {
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const head = await real.store.headPosition();
    expect(head >= real.head).toBe(true);
    const last = model.log[model.log.length - 1];
    if (last !== undefined) expect(head >= last.position).toBe(true);
  }
  toString(): string {
    return 'headPosition()';
  }
}

class PutSnapshot implements Command {
  constructor(
    readonly stream: number,
    readonly version: number,
    readonly schemaVersion: number,
    readonly state: unknown,
    readonly takenAt: Date,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const snapshot: Snapshot = {
      streamId: streamIdOf(real, this.stream),
      version: this.version,
      schemaVersion: this.schemaVersion,
      state: this.state,
      takenAt: this.takenAt,
    };
    await real.store.snapshots.put(snapshot);
    const current = model.snapshots.get(this.stream);
    if (current === undefined || current.version <= this.version) {
      model.snapshots.set(this.stream, { ...snapshot, state: asJson(this.state) });
    }
  }
  toString(): string {
    return `snapshots.put(stream ${this.stream}, version ${this.version}, schema ${this.schemaVersion})`;
  }
}

class GetSnapshot implements Command {
  constructor(readonly stream: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    expect(await real.store.snapshots.get(streamIdOf(real, this.stream))).toEqual(model.snapshots.get(this.stream));
  }
  toString(): string {
    return `snapshots.get(stream ${this.stream})`;
  }
}

class Checkpoint implements Command {
  constructor(
    readonly action: 'put' | 'get' | 'delete',
    readonly name: number,
    readonly position: Position,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const name = `${real.ns}-checkpoint-${this.name}`;
    if (this.action === 'put') {
      await real.store.checkpoints.put(name, this.position);
      model.checkpoints.set(this.name, this.position);
    } else if (this.action === 'delete') {
      await real.store.checkpoints.delete(name);
      model.checkpoints.delete(this.name);
    } else {
      expect(await real.store.checkpoints.get(name)).toBe(model.checkpoints.get(this.name));
    }
  }
  toString(): string {
    return `checkpoints.${this.action}(${this.name}${this.action === 'put' ? `, ${this.position}n` : ''})`;
  }
}

const stream = fc.nat({ max: STREAMS - 1 });
const expectedKind = fc.constantFrom<ExpectedKind>('any', 'no-stream', 'exists', 'exact', 'exact', 'stale', 'ahead', 'omitted');

const commands: fc.Arbitrary<Command>[] = [
  fc
    .tuple(stream, fc.array(newEvent, { minLength: 1, maxLength: 3 }), fc.boolean(), expectedKind)
    .map(([target, batch, withIds, kind]) => new Append(target, batch, withIds, kind)),
  fc
    .tuple(stream, fc.array(newEvent, { minLength: 1, maxLength: 3 }), fc.boolean(), expectedKind)
    .map(([target, batch, withIds, kind]) => new Append(target, batch, withIds, kind)),
  fc.tuple(fc.nat(), expectedKind).map(([pick, kind]) => new Repeat(pick, kind)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: STREAMS - 1 })).map(([pick, shift]) => new DuplicateElsewhere(pick, shift)),
  fc
    .tuple(
      stream,
      fc.record(
        {
          fromVersion: fc.nat({ max: 8 }),
          limit: fc.nat({ max: 8 }),
          direction: fc.constantFrom<'forward' | 'backward'>('forward', 'backward'),
        },
        { requiredKeys: [] },
      ),
    )
    .map(([target, options]) => new ReadStream(target, options)),
  fc
    .tuple(
      fc.constantFrom<Filter>('none', 'x', 'y', 'both', 'types', 'types+x'),
      fc.subarray(['item.created', 'item.renamed', 'item.deleted'], { minLength: 1 }),
      fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    )
    .map(([filter, types, limit]) => new ReadAll(filter, types, limit)),
  fc.integer({ min: 1, max: 4 }).map((limit) => new Subscribe(limit)),
  fc.constant(new Head()),
  fc
    .tuple(
      stream,
      fc.nat({ max: 8 }),
      fc.integer({ min: 1, max: 3 }),
      jsonData,
      fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
    )
    .map(([target, version, schemaVersion, state, takenAt]) => new PutSnapshot(target, version, schemaVersion, state, takenAt)),
  stream.map((target) => new GetSnapshot(target)),
  fc
    .tuple(
      fc.constantFrom<'put' | 'get' | 'delete'>('put', 'put', 'get', 'get', 'delete'),
      fc.nat({ max: 1 }),
      fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    )
    .map(([action, name, position]) => new Checkpoint(action, name, position)),
];

export function describeModelLaws(context: ConformanceContext): void {
  describe('model-based', () => {
    it(
      'law: random sequences of appends, repeats, reads, subscriber pages, snapshots and checkpoints agree with a reference model',
      async () => {
        const store = context.store();
        const replayPath = context.options.replayPath;
        await fc.assert(
          fc.asyncProperty(
            fc.commands(commands, { maxCommands: 40, size: 'max', ...(replayPath !== undefined && { replayPath }) }),
            async (run) => {
              const head = await store.headPosition();
              const setup = (): { model: Model; real: Real } => ({
                model: { streams: new Map(), log: [], appends: [], snapshots: new Map(), checkpoints: new Map(), cursor: 0 },
                real: { store, ns: namespace(), head, cursor: head },
              });
              await fc.asyncModelRun(setup, run);
            },
          ),
          context.fcParameters('model'),
        );
      },
      context.options.timeoutMs,
    );
  });
}
