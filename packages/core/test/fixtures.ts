import { z } from 'zod';
import { defineAggregate } from '../src/aggregate.js';
import { AggregateRoot, aggregateRoot } from '../src/aggregate-root.js';
import { DomainError } from '../src/errors.js';
import { defineEvent, eventCatalog } from '../src/event-catalog.js';

/** A small account aggregate used across the core's tests, in both styles. */
export const deposited = defineEvent({ type: 'account.deposited', schema: z.object({ amount: z.number().int().positive() }) });
export const withdrawn = defineEvent({ type: 'account.withdrawn', schema: z.object({ amount: z.number().int().positive() }) });
export const accountEvents = eventCatalog([deposited, withdrawn]);

export type AccountEvent =
  | { type: 'account.deposited'; data: { amount: number } }
  | { type: 'account.withdrawn'; data: { amount: number } };

export type AccountCommand = { type: 'deposit'; amount: number } | { type: 'withdraw'; amount: number };

export class InsufficientFunds extends DomainError {
  constructor(
    readonly balance: number,
    readonly requested: number,
  ) {
    super(`Cannot withdraw ${requested}: the balance is ${balance}`);
  }
}

export interface AccountState {
  balance: number;
  /** Count of applied events, to prove snapshots plus tail equal a full replay. */
  applied: number;
}

export const account = defineAggregate<AccountState, AccountCommand, AccountEvent>({
  name: 'account',
  events: accountEvents,
  snapshot: { version: 1 },
  initialState: () => ({ balance: 0, applied: 0 }),
  evolve: (state, event) => ({
    balance: state.balance + (event.type === 'account.deposited' ? event.data.amount : -event.data.amount),
    applied: state.applied + 1,
  }),
  decide: (command, state) => {
    if (command.type === 'deposit') return [{ type: 'account.deposited', data: { amount: command.amount } }];
    if (command.amount > state.balance) throw new InsufficientFunds(state.balance, command.amount);
    return [{ type: 'account.withdrawn', data: { amount: command.amount } }];
  },
});

export class Account extends AggregateRoot<AccountEvent> {
  balance = 0;

  deposit(amount: number): void {
    this.raise({ type: 'account.deposited', data: { amount } });
  }

  withdraw(amount: number): void {
    if (amount > this.balance) throw new InsufficientFunds(this.balance, amount);
    this.raise({ type: 'account.withdrawn', data: { amount } });
  }

  protected apply(event: AccountEvent): void {
    this.balance += event.type === 'account.deposited' ? event.data.amount : -event.data.amount;
  }
}

export const accountRoot = aggregateRoot<Account, AccountEvent>({
  name: 'account',
  events: accountEvents,
  create: () => new Account(),
  snapshot: {
    version: 1,
    serialize: (root) => ({ balance: root.balance }),
    deserialize: (data) => Object.assign(new Account(), data as { balance: number }),
  },
});
