import { deepStrictEqual, fail } from 'node:assert/strict';
import type { Aggregate, DecidedEvent, DomainEvent } from '../aggregate.js';
import type { NewEvent, RecordedEvent } from '../event.js';
import { type InMemoryEventStore, inMemoryEventStore } from '../memory/in-memory-event-store.js';

/** The result of `given(...).when(...)`, to assert on. */
export interface Outcome<State, Event extends DomainEvent> {
  /** Asserts that the command produced exactly these events (compared by `type` and `data`). */
  then(expected: readonly DomainEvent[]): Promise<void>;
  /** Asserts that the command produced no events. */
  thenNothing(): Promise<void>;
  /** Asserts that the command threw an instance of `errorClass` (and, if given, that `check` accepts it). */
  thenThrows<E extends Error>(errorClass: abstract new (...args: any[]) => E, check?: (error: E) => void): Promise<void>;
  /** The decided events and the state after them, for custom assertions. */
  result(): Promise<{ events: DecidedEvent<Event>[]; state: State }>;
}

/** Strips events down to what the domain decides: type and data. */
export function domainView(events: readonly (DomainEvent | NewEvent | RecordedEvent)[]): DomainEvent[] {
  return events.map((event) => ({ type: event.type, data: event.data }));
}

/**
 * Tests a decider-style aggregate without a store: given past events, when a command,
 * then these events (or this error).
 *
 * @example
 * ```ts
 * await given(counter, [{ type: 'counter.incremented', data: { by: 9 } }])
 *   .when({ by: 2 })
 *   .thenThrows(LimitReached);
 * ```
 */
export function given<State, Command, Event extends DomainEvent>(
  aggregate: Aggregate<State, Command, Event>,
  history: readonly Event[] = [],
): {
  /** Runs the command against the state the history builds. */
  when(command: Command): Outcome<State, Event>;
} {
  return {
    when(command) {
      let run: Promise<{ events: DecidedEvent<Event>[]; state: State }> | undefined;
      const result = () => {
        run ??= (async () => {
          let state = aggregate.initialState();
          for (const event of history) state = aggregate.evolve(state, event);
          const events = await aggregate.decide(command, state);
          // Decided events must pass the catalog, as they would on append.
          if (aggregate.events) for (const event of events) await aggregate.events.encode(event);
          for (const event of events) state = aggregate.evolve(state, event);
          return { events, state };
        })();
        return run;
      };
      return {
        result,
        // biome-ignore lint/suspicious/noThenProperty: `given().when().then()` is the idiom; awaiting the outcome itself is caught below.
        then(expected: readonly DomainEvent[], ...rest: unknown[]) {
          if (typeof expected === 'function') {
            // Someone awaited the outcome: `await` called us as a thenable. Reject it clearly.
            const reject = rest[0] as (reason: unknown) => void;
            reject(
              new TypeError(
                '[@eventfold/core/testing] An outcome is not a promise: call .then([...events]), .thenThrows(...) or .result().',
              ),
            );
            return Promise.resolve();
          }
          return result().then(({ events }) => {
            deepStrictEqual(domainView(events), domainView(expected), 'the command decided other events than expected');
          });
        },
        async thenNothing() {
          const { events } = await result();
          deepStrictEqual(domainView(events), [], 'the command decided events, none were expected');
        },
        async thenThrows(errorClass, check) {
          let outcome: { events: DecidedEvent<Event>[] };
          try {
            outcome = await result();
          } catch (error) {
            if (!(error instanceof errorClass)) {
              fail(
                `expected ${errorClass.name} to be thrown, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
              );
            }
            check?.(error);
            return;
          }
          fail(`expected ${errorClass.name} to be thrown, but the command decided ${JSON.stringify(domainView(outcome.events))}`);
        },
      };
    },
  };
}

/** An in-memory store seeded with past events, to test command handlers and projections against. */
export interface SeededStore {
  readonly store: InMemoryEventStore;
  /** Events appended after seeding, in store order. */
  appended(): readonly RecordedEvent[];
  /** Asserts the events appended after seeding (compared by `type` and `data`). */
  expectAppended(expected: readonly DomainEvent[]): void;
}

/**
 * Seeds an in-memory store with events per stream, for given/when/then tests of command
 * handlers: build the handler on `store`, run it, then `expectAppended([...])`.
 */
export async function givenStreams(streams: Readonly<Record<string, readonly NewEvent[]>> = {}): Promise<SeededStore> {
  const store = inMemoryEventStore();
  for (const [streamId, events] of Object.entries(streams)) {
    if (events.length > 0) await store.append(streamId, events);
  }
  const seeded = store.allEvents().length;
  const appended = () => store.allEvents().slice(seeded);
  return {
    store,
    appended,
    expectAppended(expected) {
      deepStrictEqual(domainView(appended()), domainView(expected), 'the handler appended other events than expected');
    },
  };
}
