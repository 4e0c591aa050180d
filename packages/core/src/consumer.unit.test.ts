import { describe, expect, it } from 'vitest';
import { consumer, replayDeadLetters } from './consumer.js';
import { DomainError, isConfigurationError, StoreUnavailableError } from './errors.js';
import type { RecordedEvent } from './event.js';
import type { Inbox, InboxOutcome } from './inbox.js';
import { eventually } from './internal/transport-law-kit.js';
import { inMemoryEventStore } from './memory/in-memory-event-store.js';
import { inMemoryInbox } from './memory/in-memory-inbox.js';
import { inMemoryTransport } from './memory/in-memory-transport.js';
import { DeadLetterHeaders, eventToMessage, MessageHeaders } from './message-headers.js';
import type { Transport } from './transport.js';

const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

async function setup(count = 3) {
  const store = inMemoryEventStore();
  const transport = inMemoryTransport({ partitions: 1, redeliveryDelayMs: 1 });
  const inbox = inMemoryInbox();
  const events: RecordedEvent[] = [];
  for (let index = 0; index < count; index++) {
    events.push(...(await store.append(`user-${index}`, [{ type: 'user.registered', data: { index } }])).events);
  }
  const publish = (list: readonly RecordedEvent[] = events) => transport.publish('users', list.map(eventToMessage));
  return { transport, inbox, events, publish };
}

/**
 * An inbox with `runBatch` over a pretend transaction: effects written with `write` inside a unit
 * land (with the unit's records) only when the unit succeeds, as in a database transaction.
 */
function transactionalInbox() {
  const records = new Set<string>();
  const effects: string[] = [];
  const units: string[][] = [];
  let pending: { records: string[]; effects: string[] } | undefined;
  async function unit<T>(body: () => Promise<T>): Promise<T> {
    pending = { records: [], effects: [] };
    try {
      const result = await body();
      for (const key of pending.records) records.add(key);
      effects.push(...pending.effects);
      units.push(pending.records);
      return result;
    } finally {
      pending = undefined;
    }
  }
  const claim = (consumerName: string, messageId: string): boolean => {
    const key = `${consumerName}/${messageId}`;
    if (records.has(key) || pending?.records.includes(key)) return false;
    pending?.records.push(key);
    return true;
  };
  const inbox: Required<Inbox> = {
    runOnce: (consumerName, messageId, work) =>
      unit(async (): Promise<InboxOutcome> => {
        if (!claim(consumerName, messageId)) return 'duplicate';
        await work();
        return 'processed';
      }),
    runBatch: (consumerName, messageIds, work) =>
      unit(async () => {
        const outcomes = messageIds.map((messageId): InboxOutcome => (claim(consumerName, messageId) ? 'processed' : 'duplicate'));
        const fresh = [...outcomes.keys()].filter((index) => outcomes[index] === 'processed');
        if (fresh.length > 0) await work(fresh);
        return outcomes;
      }),
    has: async (consumerName, messageId) => records.has(`${consumerName}/${messageId}`),
  };
  const write = (effect: string) => {
    if (pending === undefined) throw new Error('written outside a unit');
    pending.effects.push(effect);
  };
  return { inbox, effects, units, write };
}

describe('consumer', () => {
  it('hands each event to the handler once, decoded, and commits', async () => {
    const { transport, inbox, events, publish } = await setup();
    const seen: string[] = [];
    const users = consumer({ transport, inbox, name: 'c', topics: ['users'], handle: async (event) => void seen.push(event.id) });
    await users.start();
    await users.start();
    await publish();
    await eventually('all are handled', 1_000, () => users.stats().handled === 3);
    expect(seen).toEqual(events.map((event) => event.id));
    await eventually('all are committed', 1_000, async () => (await users.lag()).every((lag) => lag.lag === 0));
    expect(users.stats()).toEqual({ handled: 3, duplicates: 0, retried: 0, deadLettered: 0 });
    await users.stop();
    expect(await users.lag()).toEqual([]);
  });

  it('skips a redelivered event that its inbox already recorded', async () => {
    const { transport, inbox, events, publish } = await setup();
    const seen: string[] = [];
    const users = consumer({ transport, inbox, name: 'c', topics: ['users'], handle: async (event) => void seen.push(event.id) });
    await users.start();
    await publish();
    await publish([events[1] as RecordedEvent]);
    await eventually('all are processed', 1_000, () => users.stats().handled + users.stats().duplicates === 4);
    expect(users.stats()).toMatchObject({ handled: 3, duplicates: 1 });
    expect(seen).toHaveLength(3);
    expect(await inbox.has('c', (events[1] as RecordedEvent).id)).toBe(true);
    await users.stop();
  });

  it('retries a transient failure with backoff, then succeeds', async () => {
    const { transport, inbox, publish } = await setup(1);
    let failures = 2;
    const attempts: number[] = [];
    const errors: unknown[] = [];
    const users = consumer({
      transport,
      inbox,
      name: 'c',
      topics: ['users'],
      retry: fast,
      handle: async (_, context) => {
        attempts.push(context.attempt);
        if (failures-- > 0) throw new StoreUnavailableError('database blinked');
      },
      onError: (error) => errors.push(error),
    });
    await users.start();
    await publish();
    await eventually('the event is handled', 1_000, () => users.stats().handled === 1);
    expect(attempts).toEqual([1, 2, 3]);
    expect(users.stats()).toEqual({ handled: 1, duplicates: 0, retried: 2, deadLettered: 0 });
    expect(errors).toHaveLength(2);
    await users.stop();
  });

  it('dead-letters after the last attempt, with the error, attempts, failure times, origin and original headers', async () => {
    const { transport, inbox, events, publish } = await setup(2);
    const times = [new Date('2026-01-01T00:00:01Z'), new Date('2026-01-01T00:00:02Z'), new Date('2026-01-01T00:00:03Z')];
    let tick = 0;
    const poisoned = (events[0] as RecordedEvent).id;
    const handled: string[] = [];
    const users = consumer({
      transport,
      inbox,
      name: 'mailer',
      topics: ['users'],
      retry: fast,
      now: () => times[tick++] ?? new Date(0),
      handle: async (event) => {
        if (event.id === poisoned) throw Object.assign(new Error('smtp said no'), { code: 'ECONNREFUSED' });
        handled.push(event.id);
      },
    });
    await users.start();
    await publish();
    await eventually('the second event is handled', 1_000, () => handled.length === 1);
    expect(users.stats()).toEqual({ handled: 1, duplicates: 0, retried: 2, deadLettered: 1 });

    const [deadLetter, ...others] = transport.messages('users.dlq');
    expect(others).toEqual([]);
    const original = transport.messages('users')[0];
    expect(deadLetter?.key).toBe('user-0');
    expect([...(deadLetter?.value ?? [])]).toEqual([...(original?.value ?? [])]);
    expect(deadLetter?.headers).toEqual({
      ...original?.headers,
      [DeadLetterHeaders.errorName]: 'Error',
      [DeadLetterHeaders.errorMessage]: 'smtp said no',
      [DeadLetterHeaders.errorCode]: 'ECONNREFUSED',
      [DeadLetterHeaders.attempts]: '3',
      [DeadLetterHeaders.firstFailureAt]: '2026-01-01T00:00:01.000Z',
      [DeadLetterHeaders.lastFailureAt]: '2026-01-01T00:00:03.000Z',
      [DeadLetterHeaders.originalTopic]: 'users',
      [DeadLetterHeaders.originalPartition]: '0',
      [DeadLetterHeaders.originalOffset]: '0',
      [DeadLetterHeaders.consumer]: 'mailer',
    });
    expect(await inbox.has('mailer', poisoned)).toBe(false);
    await eventually('the partition moved on', 1_000, async () => (await users.lag())[0]?.lag === 0);
    await users.stop();
  });

  it('dead-letters non-retryable errors at once: malformed messages, DomainErrors and what the predicate says', async () => {
    const { transport, inbox, events, publish } = await setup(3);
    const custom = new Error('not worth retrying');
    const users = consumer({
      transport,
      inbox,
      name: 'c',
      topics: ['users'],
      retry: { ...fast, maxAttempts: 10 },
      nonRetryable: (error) => error === custom,
      handle: async (event) => {
        if (event.id === events[0]?.id) throw new DomainError('rule broken');
        if (event.id === events[1]?.id) throw custom;
      },
    });
    await users.start();
    await publish();
    await transport.publish('users', [{ key: 'x', value: { not: 'an event' }, headers: { 'event-id': 'garbage' } }]);
    await eventually('three are dead-lettered', 1_000, () => users.stats().deadLettered === 3);
    expect(users.stats()).toEqual({ handled: 1, duplicates: 0, retried: 0, deadLettered: 3 });
    const deadLetters = transport.messages('users.dlq');
    expect(deadLetters.map((message) => message.headers[DeadLetterHeaders.attempts])).toEqual(['1', '1', '1']);
    expect(deadLetters.map((message) => message.headers[DeadLetterHeaders.errorCode])).toEqual(['DOMAIN', undefined, 'VALIDATION']);
    expect(deadLetters[2]?.headers[DeadLetterHeaders.errorName]).toBe('ValidationError');
    await users.stop();
  });

  it('keeps a message uncommitted while its dead letter cannot be published, and dead-letters it once it can', async () => {
    const { transport, inbox, publish } = await setup(1);
    let dlqDown = true;
    const flaky: Transport = {
      ...transport,
      publish: async (topic, messages) => {
        if (topic.endsWith('.dlq') && dlqDown) throw new Error('dlq unavailable');
        return transport.publish(topic, messages);
      },
      subscribe: (options) => transport.subscribe(options),
    };
    const errors: unknown[] = [];
    const users = consumer({
      transport: flaky,
      inbox,
      name: 'c',
      topics: ['users'],
      retry: { ...fast, maxAttempts: 1 },
      handle: async () => {
        throw new Error('always fails');
      },
      onError: (error) => errors.push(error),
    });
    await users.start();
    await publish();
    await eventually('the dead-letter publish failed', 1_000, () => errors.some((error) => String(error).includes('dlq unavailable')));
    expect((await users.lag())[0]?.lag).toBe(1);
    dlqDown = false;
    await eventually('the message is dead-lettered', 1_000, () => users.stats().deadLettered === 1);
    await eventually('the partition moved on', 1_000, async () => (await users.lag())[0]?.lag === 0);
    await users.stop();
  });

  it('abandons a pending retry on stop; the message is redelivered to the next consumer of the group', async () => {
    const { transport, inbox, publish } = await setup(1);
    let failing = true;
    const first = consumer({
      transport,
      inbox,
      name: 'c',
      topics: ['users'],
      retry: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000, jitter: 0 },
      handle: async () => {
        if (failing) throw new Error('transient');
      },
    });
    await first.start();
    await publish();
    await eventually('a retry is pending', 1_000, () => first.stats().retried === 1);
    const stopping = Date.now();
    await first.stop();
    expect(Date.now() - stopping).toBeLessThan(1_000);

    failing = false;
    const second = consumer({ transport, inbox, name: 'c', topics: ['users'], handle: async () => undefined });
    await second.start();
    await eventually('the next consumer handles it', 1_000, () => second.stats().handled === 1);
    await second.stop();
  });

  it('leaves the rest of the batch to the group on stop; the inbox skips what was handled', async () => {
    const { transport, inbox, publish } = await setup(3);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inHand = 0;
    const first = consumer({
      transport,
      inbox,
      name: 'c',
      topics: ['users'],
      handle: () => {
        inHand++;
        return gate;
      },
    });
    await first.start();
    await publish();
    await eventually('the first message is in hand', 1_000, () => inHand === 1);
    const stopped = first.stop();
    release();
    await stopped;
    expect(first.stats().handled).toBe(1);
    expect(inHand).toBe(1);

    const second = consumer({ transport, inbox, name: 'c', topics: ['users'], handle: async () => undefined });
    await second.start();
    await eventually('the rest is handled', 1_000, () => second.stats().handled === 2);
    expect(second.stats().duplicates).toBe(1);
    await second.stop();
  });

  it('handles a delivered batch in one inbox unit when the inbox has runBatch; redeliveries are duplicates', async () => {
    const { transport, events, publish } = await setup(4);
    const { inbox, effects, units, write } = transactionalInbox();
    const users = consumer({ transport, inbox, name: 'c', topics: ['users'], handle: async (event) => write(event.id) });
    await publish();
    await users.start();
    await eventually('all are handled', 1_000, () => users.stats().handled === 4);
    const ids = events.map((event) => event.id);
    expect(units).toEqual([ids.map((id) => `c/${id}`)]);
    expect(effects).toEqual(ids);

    await publish([events[0] as RecordedEvent, events[2] as RecordedEvent]);
    await eventually('the repeats are seen', 1_000, () => users.stats().duplicates === 2);
    expect(effects).toEqual(ids);
    expect(users.stats()).toEqual({ handled: 4, duplicates: 2, retried: 0, deadLettered: 0 });
    await users.stop();
  });

  it('after a failure in a batch, rolls it back and handles its messages one by one: the failing one is dead-lettered, the others take effect once', async () => {
    const { transport, events, publish } = await setup(4);
    const { inbox, effects, write } = transactionalInbox();
    const poison = (events[2] as RecordedEvent).id;
    const reported: { error: unknown; messageId: string | undefined; attempt: number | undefined }[] = [];
    const users = consumer({
      transport,
      inbox,
      name: 'c',
      topics: ['users'],
      retry: fast,
      handle: async (event) => {
        write(event.id);
        if (event.id === poison) throw new DomainError('rejected');
      },
      onError: (error, context) => reported.push({ error, messageId: context?.messageId, attempt: context?.attempt }),
    });
    await publish();
    await users.start();
    await eventually('all are handled or dead-lettered', 1_000, () => users.stats().handled + users.stats().deadLettered === 4);
    expect(effects).toEqual(events.map((event) => event.id).filter((id) => id !== poison));
    expect(users.stats()).toEqual({ handled: 3, duplicates: 0, retried: 0, deadLettered: 1 });
    // The batch's failure, then the message's own failure in the one-by-one pass.
    expect(reported.map(({ messageId, attempt }) => ({ messageId, attempt }))).toEqual([
      { messageId: poison, attempt: 1 },
      { messageId: poison, attempt: 1 },
    ]);
    await users.stop();
  });

  it('with batching: false, gives every message its own inbox unit', async () => {
    const { transport, events, publish } = await setup(3);
    const { inbox, effects, units, write } = transactionalInbox();
    const users = consumer({ transport, inbox, batching: false, name: 'c', topics: ['users'], handle: async (event) => write(event.id) });
    await publish();
    await users.start();
    await eventually('all are handled', 1_000, () => users.stats().handled === 3);
    expect(units).toEqual(events.map((event) => [`c/${event.id}`]));
    expect(effects).toEqual(events.map((event) => event.id));
    await users.stop();
  });

  it('gives handleBatch the new messages of a batch in one unit; after a failure, one message at a time', async () => {
    const { transport, events, publish } = await setup(4);
    const { inbox, effects, units, write } = transactionalInbox();
    const calls: string[][] = [];
    let failOnce = true;
    const users = consumer({
      transport,
      inbox,
      name: 'c',
      topics: ['users'],
      retry: fast,
      handleBatch: async (batch, contexts) => {
        calls.push(contexts.map((context) => context.messageId));
        for (const event of batch) write(event.id);
        if (failOnce && batch.length > 1) {
          failOnce = false;
          throw new StoreUnavailableError('database blinked');
        }
      },
    });
    await users.start();
    await publish(events.slice(0, 1));
    await eventually('the first is handled', 1_000, () => users.stats().handled === 1);
    await publish();
    await eventually('all are handled', 1_000, () => users.stats().handled === 4);
    const ids = events.map((event) => event.id);
    // The second delivery: the repeat of the first event is not handed over; the failed unit's
    // writes roll back, then each message gets a unit of its own.
    expect(calls).toEqual([[ids[0]], ids.slice(1), [ids[1]], [ids[2]], [ids[3]]]);
    expect(effects).toEqual(ids);
    expect(units).toEqual([[`c/${ids[0]}`], [], [`c/${ids[1]}`], [`c/${ids[2]}`], [`c/${ids[3]}`]]);
    expect(users.stats()).toEqual({ handled: 4, duplicates: 1, retried: 0, deadLettered: 0 });
    await users.stop();
  });

  it('calls handleBatch with one message at a time when the inbox has no runBatch', async () => {
    const { transport, inbox, events, publish } = await setup(3);
    const calls: number[] = [];
    const users = consumer({ transport, inbox, name: 'c', topics: ['users'], handleBatch: async (batch) => void calls.push(batch.length) });
    await publish();
    await users.start();
    await eventually('all are handled', 1_000, () => users.stats().handled === events.length);
    expect(calls).toEqual([1, 1, 1]);
    await users.stop();
  });

  it('uses a custom decoder, and falls back to topic/partition/offset as message id', async () => {
    const { transport, inbox } = await setup(0);
    const ids: string[] = [];
    const numbers = consumer({
      transport,
      inbox,
      name: 'c',
      topics: ['numbers'],
      decode: (message) => Number(new TextDecoder().decode(message.value)),
      handle: async (value: number, context) => void ids.push(`${context.messageId}=${value * 2}`),
    });
    await numbers.start();
    await transport.publish('numbers', [
      { key: 'k', value: 21 },
      { key: 'k', value: 4 },
    ]);
    await eventually('both are handled', 1_000, () => ids.length === 2);
    expect(ids).toEqual(['numbers/0/0=42', 'numbers/0/1=8']);
    await numbers.stop();
  });

  it('replays dead letters to their original topic without the dead-letter headers', async () => {
    const { transport, inbox, events, publish } = await setup(1);
    let broken = true;
    const users = consumer({
      transport,
      inbox,
      name: 'c',
      topics: ['users'],
      retry: { ...fast, maxAttempts: 1 },
      handle: async () => {
        if (broken) throw new Error('bug');
      },
    });
    await users.start();
    await publish();
    await eventually('the event is dead-lettered', 1_000, () => users.stats().deadLettered === 1);
    await transport.publish('users.dlq', [{ key: null, value: 'stray' }]);

    broken = false;
    const strays: unknown[] = [];
    const replay = await replayDeadLetters({ transport, topics: ['users.dlq'], onError: (error) => strays.push(error) });
    await eventually('the replayed event is handled', 1_000, () => users.stats().handled === 1);
    const replayed = transport.messages('users')[1];
    expect(replayed?.headers).toEqual(transport.messages('users')[0]?.headers);
    expect(replayed?.headers[MessageHeaders.eventId]).toBe(events[0]?.id);
    expect(strays).toHaveLength(1);
    expect(String(strays[0])).toMatch(/cannot be replayed/);
    await replay.close();
    await users.stop();
  });

  it('rejects missing options with ConfigurationError', () => {
    const transport = inMemoryTransport();
    const base = { transport, inbox: inMemoryInbox(), name: 'c', topics: ['t'], handle: async () => undefined };
    for (const [option, value] of [
      ['transport', undefined],
      ['inbox', undefined],
      ['name', ''],
      ['topics', []],
      ['handle', undefined],
      ['retry', { maxAttempts: 0 }],
    ] as const) {
      let caught: unknown;
      try {
        consumer({ ...base, [option]: value } as never);
      } catch (error) {
        caught = error;
      }
      expect(isConfigurationError(caught), option).toBe(true);
      expect(String(caught)).toContain(`Option \`${option}`);
    }
    expect(() => consumer({ ...base, handle: undefined, handleBatch: 'not a function' } as never)).toThrow(/Option `handle` is required/);
  });
});
