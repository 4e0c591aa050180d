import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { type Account, account, accountRoot, InsufficientFunds } from '../../test/fixtures.js';
import { repository } from '../repository.js';
import { given, givenStreams } from './given-when-then.js';

describe('given/when/then', () => {
  it('passes when the decided events match', async () => {
    await given(account, [{ type: 'account.deposited', data: { amount: 5 } }])
      .when({ type: 'withdraw', amount: 5 })
      .then([{ type: 'account.withdrawn', data: { amount: 5 } }]);
  });

  it('fails with an assertion error when they do not', async () => {
    const outcome = given(account).when({ type: 'deposit', amount: 5 });
    await expect(outcome.then([{ type: 'account.deposited', data: { amount: 6 } }])).rejects.toBeInstanceOf(AssertionError);
    await expect(outcome.thenNothing()).rejects.toBeInstanceOf(AssertionError);
  });

  it('checks the thrown error class and lets the caller inspect it', async () => {
    await given(account)
      .when({ type: 'withdraw', amount: 3 })
      .thenThrows(InsufficientFunds, (error) => expect(error.requested).toBe(3));
    await expect(given(account).when({ type: 'deposit', amount: 1 }).thenThrows(InsufficientFunds)).rejects.toThrow(
      /expected InsufficientFunds/,
    );
  });

  it('rejects decided events the catalog would reject', async () => {
    await expect(given(account).when({ type: 'deposit', amount: 0 }).result()).rejects.toThrow(/data\.amount/);
  });

  it('works with AggregateRoot classes', async () => {
    const outcome = given(accountRoot, [{ type: 'account.deposited', data: { amount: 10 } }]).when((root: Account) => root.withdraw(4));
    await outcome.then([{ type: 'account.withdrawn', data: { amount: 4 } }]);
    expect((await outcome.result()).state.balance).toBe(6);
  });

  it('seeds a store for command handler tests and asserts only new events', async () => {
    const seeded = await givenStreams({ 'account-a1': [{ type: 'account.deposited', data: { amount: 10 } }] });
    await repository(account, { store: seeded.store }).execute('a1', { type: 'withdraw', amount: 1 });
    seeded.expectAppended([{ type: 'account.withdrawn', data: { amount: 1 } }]);
    expect(() => seeded.expectAppended([])).toThrow(AssertionError);
  });
});

describe('awaiting an outcome by mistake', () => {
  it('fails with a clear message instead of hanging or passing', async () => {
    const outcome = given(account).when({ type: 'deposit', amount: 1 });
    await expect(
      (async () => {
        await (outcome as unknown as Promise<unknown>);
      })(),
    ).rejects.toThrow(/An outcome is not a promise/);
  });
});
