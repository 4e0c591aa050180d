import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type AccountCommand, account, InsufficientFunds } from '../test/fixtures.js';
import { commandHandler } from './command-handler.js';
import { ValidationError } from './errors.js';
import { inMemoryEventStore } from './memory/in-memory-event-store.js';
import { repository } from './repository.js';

const input = z.object({
  accountId: z.string().min(1),
  amount: z.number().int().positive(),
  secret: z.string().optional(),
});

function setup(options: { recordRejections?: boolean } = {}) {
  const store = inMemoryEventStore();
  const handler = commandHandler({
    name: 'withdraw',
    schema: input,
    repository: repository(account, { store }),
    aggregateId: (valid) => valid.accountId,
    toCommand: (valid): AccountCommand => ({ type: 'withdraw', amount: valid.amount }),
    ...(options.recordRejections
      ? {
          rejections: {
            store,
            streamId: () => 'withdrawal_rejection-1',
            toEvent: (error: Error) => ({ type: 'withdrawal.rejected', data: { reason: error.name } }),
          },
        }
      : {}),
  });
  return { store, handler };
}

describe('commandHandler', () => {
  it('reports every invalid field at once as a ValidationError', async () => {
    const { handler, store } = setup();
    const error = (await handler({ accountId: '', amount: -1 }).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((issue) => issue.path)).toEqual([['accountId'], ['amount']]);
    expect(error.message).toMatch(/^withdraw is invalid: accountId: .*; amount: /);
    expect(store.allEvents()).toHaveLength(0);
  });

  it('executes valid input and passes metadata through', async () => {
    const { handler, store } = setup();
    await store.append('account-a1', [{ type: 'account.deposited', data: { amount: 10 } }]);
    const result = await handler({ accountId: 'a1', amount: 4 }, { metadata: { correlationId: 'req-9' } });
    expect(result.version).toBe(2);
    expect(result.state.balance).toBe(6);
    expect(result.events[0]?.metadata.correlationId).toBe('req-9');
  });

  it('surfaces domain errors', async () => {
    const { handler } = setup();
    await expect(handler({ accountId: 'a1', amount: 4 })).rejects.toBeInstanceOf(InsufficientFunds);
  });

  it('records rejections as events when asked, without the raw input', async () => {
    const { handler, store } = setup({ recordRejections: true });
    await expect(
      handler({ accountId: 'a1', amount: 4, secret: 'hunter2' }, { metadata: { correlationId: 'req-1' } }),
    ).rejects.toBeInstanceOf(InsufficientFunds);
    await expect(handler({ accountId: '', amount: 0, secret: 'hunter2' })).rejects.toBeInstanceOf(ValidationError);
    const recorded = await store.readStream('withdrawal_rejection-1');
    expect(recorded.map((event) => [event.type, event.data])).toEqual([
      ['withdrawal.rejected', { reason: 'InsufficientFunds' }],
      ['withdrawal.rejected', { reason: 'ValidationError' }],
    ]);
    expect(recorded[0]?.metadata.correlationId).toBe('req-1');
    expect(JSON.stringify(store.allEvents(), (_key, value) => (typeof value === 'bigint' ? String(value) : value))).not.toContain(
      'hunter2',
    );
  });
});

describe('commandHandler rejection recording failures', () => {
  it('still throws the original rejection and reports the recording failure', async () => {
    const store = inMemoryEventStore();
    const failing = { ...store, append: async () => Promise.reject(new Error('store down')) };
    const onError = vi.fn();
    const handler = commandHandler({
      schema: input,
      repository: repository(account, { store }),
      aggregateId: (valid) => valid.accountId,
      toCommand: (valid): AccountCommand => ({ type: 'withdraw', amount: valid.amount }),
      rejections: { store: failing, streamId: () => 'rejections-1', toEvent: () => ({ type: 'withdrawal.rejected', data: {} }), onError },
    });
    await expect(handler({ accountId: 'a1', amount: 4 })).rejects.toBeInstanceOf(InsufficientFunds);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'store down' }));
  });
});
