import type { EventMetadata } from './event.js';
import type { EventCatalog } from './event-catalog.js';

/** The shape of a domain event inside an aggregate: a type and its payload. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/** A domain event as `decide` returns it: optionally with a deterministic id and metadata. */
export type DecidedEvent<E extends DomainEvent> = E & { id?: string; metadata?: EventMetadata };

/** How an aggregate's state is saved in snapshots. */
export interface AggregateSnapshotOptions<State> {
  /**
   * Version of the snapshot format. Bump it whenever `State` changes shape: snapshots of
   * another version are ignored and rebuilt from the events.
   */
  version: number;
  /** Turns state into JSON-serialisable data. @defaultValue the state itself */
  serialize?: (state: State) => unknown;
  /** Turns stored data back into state; `version` is the stream version the snapshot covers. @defaultValue the data itself */
  deserialize?: (data: unknown, version: number) => State;
}

/**
 * An aggregate in the decider style: pure functions from commands and past events to new events.
 *
 * - `decide` checks the business rules against the current state and returns the events
 *   to append (none is fine), or throws a `DomainError`.
 * - `evolve` folds one event into the state; it must not throw and must not do I/O.
 */
export interface Aggregate<State, Command, Event extends DomainEvent = DomainEvent> {
  /** Stream category: the stream of the aggregate with id `x` is `<name>-<x>`. */
  readonly name: string;
  /** The state of an aggregate with no events. */
  initialState(): State;
  /** The state after one more event. Pure: no I/O, no throwing. */
  evolve(state: State, event: Event): State;
  /** The events a command produces in a state (none is fine), or a thrown `DomainError`. */
  decide(command: Command, state: State): DecidedEvent<Event>[] | Promise<DecidedEvent<Event>[]>;
  /** When given, events are validated before they are appended and decoded (upcast) when loaded. */
  readonly events?: EventCatalog;
  /** When given, the repository may save snapshots of the state. */
  readonly snapshot?: AggregateSnapshotOptions<State>;
}

/**
 * Declares a decider-style aggregate. It returns its argument unchanged; its use is type inference.
 *
 * @example
 * ```ts
 * const counter = defineAggregate({
 *   name: 'counter',
 *   initialState: () => ({ count: 0 }),
 *   evolve: (state, event: { type: 'counter.incremented'; data: { by: number } }) => ({ count: state.count + event.data.by }),
 *   decide: (command: { by: number }, state) => {
 *     if (state.count + command.by > 10) throw new LimitReached();
 *     return [{ type: 'counter.incremented', data: { by: command.by } }];
 *   },
 * });
 * ```
 */
export function defineAggregate<State, Command, Event extends DomainEvent>(
  aggregate: Aggregate<State, Command, Event>,
): Aggregate<State, Command, Event> {
  return aggregate;
}
