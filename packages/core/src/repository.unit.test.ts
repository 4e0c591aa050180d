import { describe, expect, it, vi } from 'vitest';
import { type Account, type AccountCommand, account, accountRoot, InsufficientFunds } from '../test/fixtures.js';
import { ConcurrencyError, isValidationError } from './errors.js';
import type { EventStore } from './event-store.js';
import { inMemoryEventStore } from './memory/in-memory-event-store.js';
import { repository } from './repository.js';
import { everyNEvents } from './snapshot-policy.js';

const deposit = (amount: number): AccountCommand => ({ type: 'deposit', amount });
const withdraw = (amount: number): AccountCommand => ({ type: 'withdraw', amount });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('repository (decider style)', () => {
  it('appends what the aggregate decides and returns the new state and version', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store });
    await accounts.execute('a1', deposit(30));
    const result = await accounts.execute('a1', withdraw(10));
    expect(result.streamId).toBe('account-a1');
    expect(result.version).toBe(2);
    expect(result.state).toEqual({ balance: 20, applied: 2 });
    expect(result.events.map((event) => [event.type, event.data, event.version])).toEqual([['account.withdrawn', { amount: 10 }, 2]]);
    expect(await accounts.load('a1')).toMatchObject({ state: { balance: 20, applied: 2 }, version: 2 });
  });

  it('loads a missing aggregate as its initial state at version 0', async () => {
    const accounts = repository(account, { store: inMemoryEventStore() });
    expect(await accounts.load('nobody')).toEqual({
      streamId: 'account-nobody',
      state: { balance: 0, applied: 0 },
      version: 0,
      snapshotVersion: 0,
    });
  });

  it('lets domain errors through and appends nothing', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store });
    await expect(accounts.execute('a1', withdraw(5))).rejects.toBeInstanceOf(InsufficientFunds);
    expect(store.allEvents()).toHaveLength(0);
  });

  it('validates decided events against the catalog before appending', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store });
    const error = await accounts.execute('a1', deposit(-3)).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect((error as { issues: { path: unknown[] }[] }).issues[0]?.path).toEqual(['data', 'amount']);
    expect(store.allEvents()).toHaveLength(0);
  });

  it('merges execute metadata into every event', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store });
    const { events } = await accounts.execute('a1', deposit(1), { metadata: { correlationId: 'req-1', actor: 'ada' } });
    expect(events[0]?.metadata).toEqual({ correlationId: 'req-1', actor: 'ada' });
  });

  it('appends nothing when the aggregate decides nothing', async () => {
    const store = inMemoryEventStore();
    const idle = repository({ ...account, decide: () => [] }, { store });
    const result = await idle.execute('a1', deposit(1));
    expect(result).toMatchObject({ events: [], version: 0 });
    expect(store.allEvents()).toHaveLength(0);
  });

  it('retries after a concurrent writer wins, so concurrent commands all apply', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store, retry: { maxAttempts: 20, baseDelayMs: 1, maxDelayMs: 5 } });
    await Promise.all(Array.from({ length: 10 }, () => accounts.execute('a1', deposit(1))));
    const loaded = await accounts.load('a1');
    expect(loaded.version).toBe(10);
    expect(loaded.state.balance).toBe(10);
  });

  it('does not retry when the caller gave an expected version', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store });
    await accounts.execute('a1', deposit(1));
    const appendSpy = vi.spyOn(store, 'append');
    await expect(accounts.execute('a1', deposit(1), { expectedVersion: 0 })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(appendSpy).toHaveBeenCalledTimes(1);
  });

  it('gives up with the last ConcurrencyError after maxAttempts', async () => {
    const store = inMemoryEventStore();
    const alwaysConflicting: EventStore = {
      ...store,
      append: vi.fn(async (streamId: string) => {
        throw new ConcurrencyError(streamId, 0, 1);
      }),
    };
    const accounts = repository(account, { store: alwaysConflicting, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(accounts.execute('a1', deposit(1))).rejects.toBeInstanceOf(ConcurrencyError);
    expect(alwaysConflicting.append).toHaveBeenCalledTimes(3);
  });
});

describe('repository snapshots', () => {
  it('saves a snapshot once more than 10 events were appended since the last one (the default)', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store });
    for (let i = 0; i < 10; i++) await accounts.execute('a1', deposit(1));
    await settle();
    expect(await store.snapshots.get('account-a1')).toBeUndefined();
    await accounts.execute('a1', deposit(1));
    await settle();
    expect(await store.snapshots.get('account-a1')).toMatchObject({ version: 11, schemaVersion: 1, state: { balance: 11, applied: 11 } });
  });

  it('loads from the snapshot and reads only the events after it', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store, snapshots: everyNEvents(2) });
    for (let i = 0; i < 5; i++) await accounts.execute('a1', deposit(1));
    await settle();
    const readSpy = vi.spyOn(store, 'readStream');
    const loaded = await accounts.load('a1');
    expect(loaded).toMatchObject({ version: 5, snapshotVersion: 3, state: { balance: 5, applied: 5 } });
    expect(readSpy).toHaveBeenCalledWith('account-a1', expect.objectContaining({ fromVersion: 4 }));
  });

  it('ignores a snapshot written under another snapshot version and rebuilds from events', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store, snapshots: everyNEvents(1) });
    for (let i = 0; i < 3; i++) await accounts.execute('a1', deposit(1));
    await store.snapshots.put({ streamId: 'account-a1', version: 3, schemaVersion: 99, state: { nonsense: true }, takenAt: new Date() });
    expect(await accounts.load('a1')).toMatchObject({ version: 3, snapshotVersion: 0, state: { balance: 3, applied: 3 } });
  });

  it('never fails a command because a snapshot write failed', async () => {
    const store = inMemoryEventStore();
    const failingStore: EventStore = {
      ...store,
      snapshots: { ...store.snapshots, put: async () => Promise.reject(new Error('disk full')) },
    };
    const onSnapshotError = vi.fn();
    const accounts = repository(account, { store: failingStore, snapshots: everyNEvents(1), onSnapshotError });
    await accounts.execute('a1', deposit(1));
    const result = await accounts.execute('a1', deposit(1));
    await settle();
    expect(result.version).toBe(2);
    expect(onSnapshotError).toHaveBeenCalledWith(expect.objectContaining({ message: 'disk full' }), 'account-a1');
  });

  it('takes no snapshots when disabled', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(account, { store, snapshots: false });
    for (let i = 0; i < 12; i++) await accounts.execute('a1', deposit(1));
    await settle();
    expect(await store.snapshots.get('account-a1')).toBeUndefined();
  });
});

describe('repository (AggregateRoot style)', () => {
  it('runs command methods, appends raised events and applies each exactly once', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(accountRoot, { store });
    await accounts.execute('r1', (root: Account) => {
      root.deposit(50);
      root.withdraw(20); // sees the deposit raised just before
    });
    const result = await accounts.execute('r1', (root: Account) => root.deposit(5));
    expect(result.state.balance).toBe(35);
    expect(result.state.version).toBe(3);
    expect(result.state.uncommittedEvents).toHaveLength(0);
    const loaded = await accounts.load('r1');
    expect(loaded.state.balance).toBe(35);
    expect(loaded.state.version).toBe(3);
  });

  it('rejects with the domain error and appends nothing', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(accountRoot, { store });
    await expect(accounts.execute('r1', (root: Account) => root.withdraw(1))).rejects.toBeInstanceOf(InsufficientFunds);
    expect(store.allEvents()).toHaveLength(0);
  });

  it('restores from a snapshot with the right version', async () => {
    const store = inMemoryEventStore();
    const accounts = repository(accountRoot, { store, snapshots: everyNEvents(2) });
    for (let i = 0; i < 4; i++) await accounts.execute('r1', (root: Account) => root.deposit(10));
    await settle();
    const loaded = await accounts.load('r1');
    expect(loaded.snapshotVersion).toBe(3);
    expect(loaded.state.balance).toBe(40);
    expect(loaded.state.version).toBe(4);
  });
});

describe('repository options', () => {
  it('rejects a malformed retry policy with a ConfigurationError', () => {
    expect(() => repository(account, { store: inMemoryEventStore(), retry: { maxAttempts: 0 } })).toThrow(/retry\.maxAttempts/);
  });
});
