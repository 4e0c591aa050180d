import { isConcurrencyError, MessageHeaders } from '@eventfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { json, START_TIME, STARTS_AT, startTestService, type TestService } from '../test-support.js';

let t: TestService;
afterEach(() => t?.stop());

describe('POST /conferences and GET /conferences/:id', () => {
  it('schedules a conference (201, envelope, location) and shows its seats', async () => {
    t = await startTestService();
    const created = await t.request(
      'POST',
      '/conferences',
      { title: 'EventfoldConf', startsAt: STARTS_AT, capacity: 3 },
      { 'x-request-id': 'req-c' },
    );
    expect(created.statusCode).toBe(201);
    const { data, meta } = json(created);
    expect(meta).toEqual({ requestId: 'req-c', timestamp: START_TIME.toISOString() });
    expect(created.headers.location).toBe(`/conferences/${data.conferenceId}`);
    const read = await t.request('GET', `/conferences/${data.conferenceId}`);
    expect(json(read).data).toEqual({
      conferenceId: data.conferenceId,
      title: 'EventfoldConf',
      startsAt: STARTS_AT,
      capacity: 3,
      registered: 0,
      seatsLeft: 3,
    });
  });

  it('answers 400 with every field error at once', async () => {
    t = await startTestService();
    const response = await t.request('POST', '/conferences', { title: ' x ', startsAt: '2020-01-01T00:00:00Z', capacity: 2.5 });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json(response).errors).toEqual([
      { path: 'title', message: 'Title must be at least 3 characters long' },
      { path: 'startsAt', message: 'Start must be in the future' },
      { path: 'capacity', message: 'Capacity must be a whole number' },
    ]);
    const missing = await t.request('POST', '/conferences', { startsAt: 'tomorrow', capacity: 0 });
    expect(json(missing).errors).toEqual([
      { path: 'title', message: 'Title is required' },
      { path: 'startsAt', message: 'Start must be a date and time with a time zone (ISO 8601), e.g. 2030-05-01T09:00:00Z' },
      { path: 'capacity', message: 'Capacity must be at least 1' },
    ]);
    const notAnObject = await t.request('POST', '/conferences', '"hello"', { 'content-type': 'application/json' });
    expect(notAnObject.statusCode).toBe(400);
  });

  it('answers 404 for an unknown conference', async () => {
    t = await startTestService();
    const response = await t.request('GET', '/conferences/nope');
    expect(response.statusCode).toBe(404);
    expect(json(response)).toMatchObject({
      type: 'urn:eventfold:problem:not-found',
      detail: 'No conference with id nope',
      instance: '/conferences/nope',
    });
  });
});

describe('registrations', () => {
  it('registers a known user (201), refuses a double registration (409), an unknown user (422) and a full conference (422)', async () => {
    t = await startTestService();
    const [ada, bob, carol] = await t.knownUsers(3);
    const conference = await t.conference(2);
    const url = `/conferences/${conference}/registrations`;

    const first = await t.request('POST', url, { userId: ada });
    expect(first.statusCode).toBe(201);
    expect(json(first).data).toEqual({ conferenceId: conference, userId: ada, seatsLeft: 1 });

    const again = await t.request('POST', url, { userId: ada });
    expect(again.statusCode).toBe(409);
    expect(json(again)).toMatchObject({
      type: 'urn:eventfold:problem:conflict',
      detail: `User ${ada} is already registered for conference ${conference}`,
    });

    const stranger = await t.request('POST', url, { userId: 'who-knows' });
    expect(stranger.statusCode).toBe(422);
    expect(json(stranger)).toMatchObject({
      type: 'urn:eventfold:problem:rule-violated',
      title: 'Unprocessable request',
      detail: 'User who-knows is not known to the registration service (yet)',
    });

    expect((await t.request('POST', url, { userId: bob })).statusCode).toBe(201);
    const full = await t.request('POST', url, { userId: carol });
    expect(full.statusCode).toBe(422);
    expect(json(full).detail).toBe(`Conference ${conference} is full (capacity 2)`);

    expect(json(await t.request('GET', `/conferences/${conference}`)).data).toMatchObject({ registered: 2, seatsLeft: 0 });
  });

  it('frees the seat on DELETE, and answers 404 for a registration that does not exist', async () => {
    t = await startTestService();
    const [ada, bob] = await t.knownUsers(2);
    const conference = await t.conference(1);
    await t.request('POST', `/conferences/${conference}/registrations`, { userId: ada });
    expect((await t.request('POST', `/conferences/${conference}/registrations`, { userId: bob })).statusCode).toBe(422);

    const freed = await t.request('DELETE', `/conferences/${conference}/registrations/${ada}`);
    expect(freed.statusCode).toBe(200);
    expect(json(freed).data).toEqual({ conferenceId: conference, userId: ada, seatsLeft: 1 });
    expect((await t.request('POST', `/conferences/${conference}/registrations`, { userId: bob })).statusCode).toBe(201);
    expect((await t.request('DELETE', `/conferences/${conference}/registrations/${ada}`)).statusCode).toBe(404);
    expect((await t.request('DELETE', `/conferences/nope/registrations/${ada}`)).statusCode).toBe(404);
  });

  it('answers 400 for a registration without a user id, and 404 for an unknown conference', async () => {
    t = await startTestService();
    const [ada] = await t.knownUsers(1);
    const conference = await t.conference(1);
    const invalid = await t.request('POST', `/conferences/${conference}/registrations`, { userId: 42 });
    expect(json(invalid).errors).toEqual([{ path: 'userId', message: 'User id must be a string' }]);
    expect((await t.request('POST', '/conferences/nope/registrations', { userId: ada })).statusCode).toBe(404);
  });

  it('fills a conference of 10 seats with exactly 10 of 40 concurrent registrations; the other 30 get 422', async () => {
    // Every request loads the conference before any may append to it, as when 40 requests arrive at once
    // at a real database: all decide against the same version, and only the store's check keeps the count.
    let conflicts = 0;
    let loads = 0;
    let allLoaded: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (allLoaded = resolve));
    let conferenceStream = '';
    t = await startTestService({
      wrapStore: (store) => ({
        ...store,
        readStream: async (streamId, options) => {
          const events = await store.readStream(streamId, options);
          if (streamId === conferenceStream && ++loads === 40) allLoaded();
          return events;
        },
        append: async (streamId, events, options) => {
          if (streamId === conferenceStream) await gate;
          return store.append(streamId, events, options).catch((error: unknown) => {
            if (isConcurrencyError(error)) conflicts++;
            throw error;
          });
        },
      }),
    });
    const users = await t.knownUsers(40);
    const conference = await t.conference(10);
    conferenceStream = `conference-${conference}`;

    const responses = await Promise.all(users.map((userId) => t.request('POST', `/conferences/${conference}/registrations`, { userId })));
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 422)).toHaveLength(30);
    expect(conflicts).toBeGreaterThanOrEqual(39); // the first round alone: one append landed, 39 were turned down
    const registrations = t.store.allEvents().filter((event) => event.type === 'registration.created');
    expect(registrations).toHaveLength(10);
    expect(new Set(registrations.map((event) => (event.data as { userId: string }).userId)).size).toBe(10);
    expect(json(await t.request('GET', `/conferences/${conference}`)).data).toMatchObject({ capacity: 10, registered: 10, seatsLeft: 0 });
  });

  it('stores the request id as correlation id, and relays registration.created to its topic of 3 partitions, keyed by conference', async () => {
    t = await startTestService();
    const [ada, bob] = await t.knownUsers(2);
    const conference = await t.conference(5);
    await t.request('POST', `/conferences/${conference}/registrations`, { userId: ada }, { 'x-request-id': 'req-ada' });
    await t.request('POST', `/conferences/${conference}/registrations`, { userId: bob }, { 'x-request-id': 'req-bob' });
    await t.request('DELETE', `/conferences/${conference}/registrations/${bob}`, undefined, { 'x-request-id': 'req-cancel' });
    await t.service.settle();

    const messages = t.transport.messages('registration.created');
    expect(messages.map((message) => message.headers[MessageHeaders.correlationId])).toEqual(['req-ada', 'req-bob']);
    expect(new Set(messages.map((message) => message.key))).toEqual(new Set([`conference-${conference}`]));
    expect(new Set(messages.map((message) => message.partition)).size).toBe(1);
    expect(JSON.parse(new TextDecoder().decode(messages[0]?.value)).data).toMatchObject({ conferenceId: conference, userId: ada });
    expect(t.transport.messages('registration.cancelled').map((message) => message.headers[MessageHeaders.correlationId])).toEqual([
      'req-cancel',
    ]);
    expect(() => t.transport.ensureTopic('registration.created', { partitions: 3 })).not.toThrow();
    expect(() => t.transport.ensureTopic('registration.created', { partitions: 1 })).toThrow(/3 partitions/);
  });
});
