import type { Aggregate, AggregateSnapshotOptions, DecidedEvent, DomainEvent } from './aggregate.js';
import type { EventCatalog } from './event-catalog.js';

/**
 * Base class for aggregates in the object-oriented style. Subclasses change state only in
 * `apply`, and call `raise` from their command methods:
 *
 * @example
 * ```ts
 * class Account extends AggregateRoot<AccountEvent> {
 *   balance = 0;
 *   deposit(amount: number) {
 *     if (amount <= 0) throw new InvalidAmount(amount);
 *     this.raise({ type: 'account.deposited', data: { amount } });
 *   }
 *   protected apply(event: AccountEvent) {
 *     if (event.type === 'account.deposited') this.balance += event.data.amount;
 *   }
 * }
 * ```
 * Drive it through a repository with {@link aggregateRoot}.
 */
export abstract class AggregateRoot<Event extends DomainEvent = DomainEvent> {
  #version = 0;
  #uncommitted: DecidedEvent<Event>[] = [];

  /** Version of the last event applied from the store (uncommitted events not counted). */
  get version(): number {
    return this.#version;
  }

  /** Events raised since the aggregate was loaded, not yet appended. */
  get uncommittedEvents(): readonly DecidedEvent<Event>[] {
    return this.#uncommitted;
  }

  /** Records a new event and applies it at once, so later rules in the same command see its effect. */
  protected raise(event: DecidedEvent<Event>): void {
    this.apply(event);
    this.#uncommitted.push(event);
  }

  /** Changes state for one event. Must not throw and must not do I/O. */
  protected abstract apply(event: Event): void;

  /** Applies an event read from the store. Used by the repository when loading. */
  replay(event: Event): void {
    this.apply(event);
    this.#version += 1;
  }

  /** Hands the raised events over for appending and counts them as committed. Used by the repository. */
  takeUncommittedEvents(): DecidedEvent<Event>[] {
    const events = this.#uncommitted;
    this.#uncommitted = [];
    return events;
  }

  /** Marks `count` handed-over events as stored. Used by the repository after a successful append. */
  markCommitted(count: number): void {
    this.#version += count;
  }

  /** Restores the version after loading a snapshot. Used by the repository. */
  restoreVersion(version: number): void {
    this.#version = version;
  }
}

/** A command for an {@link AggregateRoot}: a function that calls its command methods. */
export type RootCommand<Root> = (root: Root) => void | Promise<void>;

/** Options of {@link aggregateRoot}. */
export interface AggregateRootOptions<Root extends AggregateRoot<Event>, Event extends DomainEvent> {
  /** Stream category. */
  name: string;
  /** Makes an empty instance. */
  create: () => Root;
  events?: EventCatalog;
  /** Snapshot format; `serialize`/`deserialize` are needed because a class instance is not plain data. */
  snapshot?: AggregateSnapshotOptions<Root> & {
    /** Turns the root's state into JSON-serialisable data. */
    serialize: (root: Root) => unknown;
    /** Builds a root from that data (its version is restored by the repository). */
    deserialize: (data: unknown) => Root;
  };
}

const pending = new WeakMap<object, number>();

/**
 * Adapts an {@link AggregateRoot} subclass to the decider shape the repository drives.
 * Commands are functions that call the root's methods:
 *
 * @example
 * ```ts
 * const accounts = repository(aggregateRoot({ name: 'account', create: () => new Account() }), { store });
 * await accounts.execute('a-1', (account) => account.deposit(50));
 * ```
 */
export function aggregateRoot<Root extends AggregateRoot<Event>, Event extends DomainEvent>(
  options: AggregateRootOptions<Root, Event>,
): Aggregate<Root, RootCommand<Root>, Event> {
  const { snapshot } = options;
  return {
    name: options.name,
    ...(options.events === undefined ? {} : { events: options.events }),
    ...(snapshot === undefined
      ? {}
      : {
          snapshot: {
            version: snapshot.version,
            serialize: snapshot.serialize,
            deserialize(data, version) {
              const root = snapshot.deserialize(data);
              root.restoreVersion(version);
              return root;
            },
          },
        }),
    initialState: options.create,
    // The root applied its raised events already; folding them in after the append must
    // only count them, or they would be applied twice.
    evolve(root, event) {
      const raisedNotYetCounted = pending.get(root) ?? 0;
      if (raisedNotYetCounted > 0) {
        pending.set(root, raisedNotYetCounted - 1);
        root.markCommitted(1);
      } else {
        root.replay(event);
      }
      return root;
    },
    async decide(command, root) {
      await command(root);
      const events = root.takeUncommittedEvents();
      pending.set(root, events.length);
      return events;
    },
  };
}
