import { describe, expect, it, vi } from 'vitest';
import { isConfigurationError, isValidationError } from '../errors.js';
import { partitionForKey } from '../internal/murmur2.js';
import { eventually } from '../internal/transport-law-kit.js';
import type { IncomingMessage } from '../transport.js';
import { inMemoryTransport } from './in-memory-transport.js';

const text = (message: IncomingMessage) => new TextDecoder().decode(message.value);

describe('inMemoryTransport', () => {
  it('copies values on publish, so later mutation by the caller changes nothing', async () => {
    const transport = inMemoryTransport();
    const value = { list: [1] };
    const bytes = new Uint8Array([1, 2, 3]);
    await transport.publish('t', [
      { key: 'a', value },
      { key: 'b', value: bytes },
    ]);
    value.list.push(2);
    bytes[0] = 9;
    const [first, second] = transport.messages('t');
    expect(text(first as IncomingMessage)).toBe('{"list":[1]}');
    expect([...(second as IncomingMessage).value]).toEqual([1, 2, 3]);
    expect(transport.messages('unknown')).toEqual([]);
  });

  it('never calls a handler inside publish', async () => {
    const transport = inMemoryTransport();
    const seen: string[] = [];
    await transport.subscribe({ group: 'g', topics: ['t'], handler: async (batch) => void seen.push(...batch.map(text)) });
    const publishing = transport.publish('t', [{ key: 'k', value: 'x' }]);
    expect(seen).toEqual([]);
    await publishing;
    expect(seen).toEqual([]);
    await eventually('the message is delivered', 1_000, () => seen.length === 1);
    await transport.close();
  });

  it('partitions by the Kafka-compatible hash of the key and round-robins null keys', async () => {
    const transport = inMemoryTransport({ partitions: 5 });
    await transport.publish(
      't',
      ['user-1', 'user-2', 'order-9'].map((key) => ({ key, value: key })),
    );
    await transport.publish(
      't',
      [0, 1, 2, 3, 4, 5].map((index) => ({ key: null, value: index })),
    );
    const messages = transport.messages('t');
    for (const message of messages.slice(0, 3)) expect(message.partition).toBe(partitionForKey(message.key as string, 5));
    expect(messages.slice(3).map((message) => message.partition)).toEqual([0, 1, 2, 3, 4, 0]);
  });

  it('numbers offsets per partition from 0', async () => {
    const transport = inMemoryTransport({ partitions: 1 });
    await transport.publish('t', [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(transport.messages('t').map((message) => message.offset)).toEqual(['0', '1']);
  });

  it('rejects invalid messages without storing any of the batch', async () => {
    const transport = inMemoryTransport();
    const reject = async (message: unknown) => {
      const error = await transport.publish('t', [{ key: 'ok', value: 1 }, message as never]).catch((caught: unknown) => caught);
      expect(isValidationError(error), String(error)).toBe(true);
    };
    await reject({ key: 1, value: 1 });
    await reject({ key: 'k', value: undefined });
    await reject({ key: 'k', value: 10n });
    await reject({ key: 'k', value: 1, headers: { h: 1 } });
    expect(transport.messages('t')).toEqual([]);
    expect(isValidationError(await transport.publish('', []).catch((error: unknown) => error))).toBe(true);
  });

  it('creates topics explicitly, and refuses to change their partition count', async () => {
    const transport = inMemoryTransport();
    transport.ensureTopic('t', { partitions: 2 });
    transport.ensureTopic('t', { partitions: 2 });
    expect(() => transport.ensureTopic('t', { partitions: 4 })).toThrow(/already exists with 2 partitions/);
    await transport.publish(
      't',
      Array.from({ length: 20 }, (_, index) => ({ key: `k${index}`, value: index })),
    );
    expect(new Set(transport.messages('t').map((message) => message.partition))).toEqual(new Set([0, 1]));
  });

  it('rejects bad options and use after close with ConfigurationError', async () => {
    expect(() => inMemoryTransport({ partitions: 0 })).toThrow(/Option `partitions` must be an integer >= 1/);
    const transport = inMemoryTransport();
    await expect(transport.subscribe({ group: 'g', topics: [], handler: async () => undefined })).rejects.toThrow(/Option `topics`/);
    await expect(transport.subscribe({ group: '', topics: ['t'], handler: async () => undefined })).rejects.toThrow(/Option `group`/);
    await transport.close();
    const error = await transport.publish('t', []).catch((caught: unknown) => caught);
    expect(isConfigurationError(error)).toBe(true);
  });

  it('redelivers from the committed offset after the handler throws, reporting the error', async () => {
    const transport = inMemoryTransport({ partitions: 1, redeliveryDelayMs: 1 });
    await transport.publish(
      't',
      [1, 2, 3].map((value) => ({ key: 'k', value })),
    );
    const attempts: string[][] = [];
    const errors: unknown[] = [];
    let fail = true;
    const subscription = await transport.subscribe({
      group: 'g',
      topics: ['t'],
      handler: async (batch) => {
        attempts.push(batch.map(text));
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
      },
      onError: (error) => errors.push(error),
    });
    await eventually('the batch is handled', 1_000, async () => (await subscription.lag())[0]?.lag === 0);
    expect(attempts).toEqual([
      ['1', '2', '3'],
      ['1', '2', '3'],
    ]);
    expect(errors).toHaveLength(1);
    await transport.close();
  });

  it('redelivers even when the wall clock stands still (timers, not Date.now, end the redelivery delay)', async () => {
    const frozen = vi.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-01-01T00:00:00Z'));
    try {
      const transport = inMemoryTransport({ partitions: 1, redeliveryDelayMs: 5 });
      await transport.publish('t', [{ key: 'k', value: 1 }]);
      let calls = 0;
      await transport.subscribe({
        group: 'g',
        topics: ['t'],
        handler: async () => {
          calls++;
          if (calls === 1) throw new Error('once');
        },
      });
      await vi.waitFor(() => expect(calls).toBe(2), { timeout: 1_000, interval: 5 });
      await transport.close();
    } finally {
      frozen.mockRestore();
    }
  });

  it('splits partitions between members and rebalances as they join and leave', async () => {
    const transport = inMemoryTransport({ partitions: 4 });
    const handler = async () => undefined;
    const a = await transport.subscribe({ group: 'g', topics: ['t'], handler });
    const partitionsOf = async (subscription: typeof a) => (await subscription.lag()).map((lag) => lag.partition);
    expect(await partitionsOf(a)).toEqual([0, 1, 2, 3]);
    const b = await transport.subscribe({ group: 'g', topics: ['t'], handler });
    expect(await partitionsOf(a)).toEqual([0, 2]);
    expect(await partitionsOf(b)).toEqual([1, 3]);
    await a.close();
    expect(await partitionsOf(b)).toEqual([0, 1, 2, 3]);
    expect(await a.lag()).toEqual([]);
    await transport.close();
  });

  it('starts a group without committed offsets at the end when fromBeginning is false', async () => {
    const transport = inMemoryTransport({ partitions: 1 });
    await transport.publish('t', [{ key: 'k', value: 'old' }]);
    const seen: string[] = [];
    await transport.subscribe({
      group: 'g',
      topics: ['t'],
      fromBeginning: false,
      handler: async (batch) => void seen.push(...batch.map(text)),
    });
    await transport.publish('t', [{ key: 'k', value: 'new' }]);
    await eventually('the new message is delivered', 1_000, () => seen.length > 0);
    expect(seen).toEqual(['"new"']);
    await transport.close();
  });

  it('hands each delivery its own copy of the bytes', async () => {
    const transport = inMemoryTransport({ partitions: 1, redeliveryDelayMs: 1 });
    await transport.publish('t', [{ key: 'k', value: new Uint8Array([1]) }]);
    const seen: number[] = [];
    let first = true;
    await transport.subscribe({
      group: 'g',
      topics: ['t'],
      handler: async ([message]) => {
        seen.push(message?.value[0] as number);
        (message as IncomingMessage).value[0] = 7;
        if (first) {
          first = false;
          throw new Error('again');
        }
      },
    });
    await eventually('the message is redelivered', 1_000, () => seen.length === 2);
    expect(seen).toEqual([1, 1]);
    await transport.close();
  });

  it('caps batches at maxBatchSize', async () => {
    const transport = inMemoryTransport({ partitions: 1, maxBatchSize: 2 });
    await transport.publish(
      't',
      [1, 2, 3, 4, 5].map((value) => ({ key: 'k', value })),
    );
    const sizes: number[] = [];
    await transport.subscribe({ group: 'g', topics: ['t'], handler: async (batch) => void sizes.push(batch.length) });
    await eventually('all are delivered', 1_000, () => sizes.reduce((sum, size) => sum + size, 0) === 5);
    expect(sizes).toEqual([2, 2, 1]);
    await transport.close();
  });
});
