import { DeadLetterHeaders, eventToMessage, uuidv7 } from '@eventfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { json, startTestService, type TestService, userRegisteredEvent } from '../test-support.js';
import { deterministicId, knownUsers } from './known-users.js';

let t: TestService;
afterEach(() => t?.stop());

const knownUserEvents = (t: TestService) => t.store.allEvents().filter((event) => event.type === 'known-user.added');

describe('the user.created consumer', () => {
  it('makes a created user known, with only the fields this service reads', async () => {
    t = await startTestService();
    const userId = await t.userCreated('ada');
    expect((await t.request('GET', `/known-users/${userId}`)).statusCode).toBe(404);
    await t.service.settle();
    const known = await t.request('GET', `/known-users/${userId}`);
    expect(json(known).data).toEqual({ userId, username: 'ada' });
  });

  it('is idempotent: a message delivered twice is handled once', async () => {
    t = await startTestService();
    const message = eventToMessage(userRegisteredEvent(uuidv7(), 'ada'));
    await t.transport.publish('user.created', [message]);
    await t.transport.publish('user.created', [message]); // the relay re-published after a crash
    await t.service.settle();
    expect(knownUserEvents(t)).toHaveLength(1);
    expect(t.service.consumer.stats()).toMatchObject({ handled: 1, duplicates: 1, deadLettered: 0 });
  });

  it('appends nothing when a redelivery slips past the inbox: the event id is derived from the message', async () => {
    t = await startTestService();
    const event = userRegisteredEvent(uuidv7(), 'ada');
    const users = knownUsers(t.store);
    await users.add({ userId: (event.data as { userId: string }).userId, username: 'ada' }, event.id);
    await users.add({ userId: (event.data as { userId: string }).userId, username: 'ada' }, event.id);
    expect(knownUserEvents(t).map((recorded) => recorded.id)).toEqual([deterministicId(`known-user:${event.id}`)]);
    expect(deterministicId('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('dead-letters what it cannot read: an unknown event type, a payload that does not fit, a message that is not an event', async () => {
    t = await startTestService();
    await t.transport.publish('user.created', [
      eventToMessage(userRegisteredEvent(uuidv7(), 'x', { type: 'user.renamed' })),
      eventToMessage(userRegisteredEvent(uuidv7(), 'x', { data: { userId: 42 } })),
      { key: 'k', value: { hello: 'world' } },
    ]);
    const ok = await t.userCreated('ada');
    await t.service.settle();
    const deadLetters = t.transport.messages('user.created.dlq');
    // Different keys land on different partitions: their order across partitions is not defined.
    expect(deadLetters.map((message) => message.headers[DeadLetterHeaders.errorCode]).sort()).toEqual([
      'UNKNOWN_EVENT_TYPE',
      'VALIDATION',
      'VALIDATION',
    ]);
    expect(deadLetters.every((message) => message.headers[DeadLetterHeaders.consumer] === 'registration-service.known-users')).toBe(true);
    expect((await t.request('GET', `/known-users/${ok}`)).statusCode).toBe(200); // the partition moved on
    const metrics = (await t.request('GET', '/metrics')).body;
    expect(metrics).toContain('eventfold_dead_letters_total{consumer="registration-service.known-users",service="registration-service"} 3');
    expect(metrics).toContain(
      'kafka_consumer_records_consumed_total{consumer="registration-service.known-users",service="registration-service"} 4',
    );
  });
});
