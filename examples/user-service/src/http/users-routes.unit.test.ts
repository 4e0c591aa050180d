import { MessageHeaders } from '@eventfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { json, START_TIME, startTestService, type TestService, validUser } from '../test-support.js';

let t: TestService;
afterEach(() => t?.stop());

describe('POST /users', () => {
  it('registers a user: 201 with the envelope, a location, and the request id echoed', async () => {
    t = await startTestService();
    const response = await t.post(validUser(), { 'x-request-id': 'req-42' });
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-request-id']).toBe('req-42');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = json(response);
    expect(body).toEqual({
      success: true,
      data: { userId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) },
      meta: { requestId: 'req-42', timestamp: START_TIME.toISOString() },
    });
    expect(response.headers.location).toBe(`/users/${body.data.userId}`);
  });

  it('generates a request id when there is none or it does not look like one', async () => {
    t = await startTestService();
    const none = await t.post(validUser());
    const odd = await t.post(validUser({ username: 'bob', email: 'bob@gmail.com' }), { 'x-request-id': 'has spaces\tand tabs' });
    for (const response of [none, odd]) {
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(json(response).meta.requestId).toBe(response.headers['x-request-id']);
    }
    expect(none.headers['x-request-id']).not.toBe(odd.headers['x-request-id']);
  });

  it('stores the request id as the correlation id of every event it causes, and the relay carries it to user.created', async () => {
    t = await startTestService();
    const { data } = json(await t.post(validUser(), { 'x-request-id': 'req-corr' }));
    await t.service.settle();
    const caused = t.store.allEvents().filter((event) => event.metadata.correlationId === 'req-corr');
    expect(caused.map((event) => `${event.streamId.replace(/-[0-9a-f]{64}$/, '-<sha256>')} ${event.type}`)).toEqual([
      'username-ada reservation.claimed',
      'email-<sha256> reservation.claimed',
      `user-${data.userId} user.registered`,
      `user-${data.userId} user.password-set`,
    ]);
    const [message, ...others] = t.transport.messages('user.created');
    expect(others).toEqual([]);
    expect(message?.key).toBe(`user-${data.userId}`);
    expect(message?.headers[MessageHeaders.eventType]).toBe('user.registered');
    expect(message?.headers[MessageHeaders.correlationId]).toBe('req-corr');
    expect(JSON.parse(new TextDecoder().decode(message?.value)).data).toEqual({
      userId: data.userId,
      username: 'ada',
      email: 'ada@gmail.com',
      fullName: 'Ada Lovelace',
      dateOfBirth: '1990-12-10',
      registeredAt: START_TIME.toISOString(),
    });
  });

  it('answers 400 with every field error at once, as RFC 9457 problem details', async () => {
    t = await startTestService();
    const response = await t.post(
      { username: 'a!', email: 'ada@hotmail.com', password: 'short', fullName: 'A', dateOfBirth: '2020-01-01' },
      { 'x-request-id': 'req-bad' },
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json(response)).toEqual({
      type: 'urn:eventfold:problem:validation-failed',
      title: 'Invalid request',
      status: 400,
      detail: 'The request has 9 invalid field(s).',
      instance: '/users',
      requestId: 'req-bad',
      errors: [
        { path: 'username', message: 'Username may contain only letters and digits' },
        { path: 'username', message: 'Username must be at least 3 characters long' },
        { path: 'email', message: 'Email domain is not allowed (allowed: gmail.com, company.com)' },
        { path: 'password', message: 'Password must be at least 8 characters long' },
        { path: 'password', message: 'Password must contain an upper-case letter' },
        { path: 'password', message: 'Password must contain a digit' },
        { path: 'password', message: 'Password must contain one of !@#$%^&*' },
        { path: 'fullName', message: 'Full name must be at least 2 characters long' },
        { path: 'dateOfBirth', message: 'You must be at least 13 years old' },
      ],
    });
  });

  it('applies the configured email domain allowlist, case-insensitively', async () => {
    t = await startTestService({ allowedEmailDomains: ['Example.ORG'] });
    expect((await t.post(validUser({ email: 'ada@EXAMPLE.org' }))).statusCode).toBe(201);
    const rejected = await t.post(validUser({ username: 'bob', email: 'bob@gmail.com' }));
    expect(json(rejected).errors).toEqual([{ path: 'email', message: 'Email domain is not allowed (allowed: example.org)' }]);
  });

  it('checks the minimum age against the injected clock', async () => {
    t = await startTestService();
    expect((await t.post(validUser({ dateOfBirth: '2012-06-02' }))).statusCode).toBe(400);
    t.advance(24 * 60 * 60 * 1000); // the 13th birthday
    expect((await t.post(validUser({ dateOfBirth: '2012-06-02' }))).statusCode).toBe(201);
  });

  it.each([
    ['a JSON array', '[]', 'application/json', 'Invalid input: expected object, received array'],
    ['JSON null', 'null', 'application/json', 'Invalid input: expected object, received null'],
    ['plain text', 'username=ada', 'text/plain', 'Invalid input: expected object, received string'],
  ])('answers 400 for %s', async (_what, payload, contentType, message) => {
    t = await startTestService();
    const response = await t.service.app.inject({ method: 'POST', url: '/users', payload, headers: { 'content-type': contentType } });
    expect(response.statusCode).toBe(400);
    expect(json(response).errors).toEqual([{ path: '', message }]);
  });

  it('answers 400 for malformed JSON, and 415 for an unsupported content type, without quoting the body', async () => {
    t = await startTestService();
    const malformed = await t.service.app.inject({
      method: 'POST',
      url: '/users',
      payload: '{"username":"ada","password":"Hunter2!secret"',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(json(malformed)).toMatchObject({ type: 'urn:eventfold:problem:bad-request', detail: 'The request body is not valid JSON.' });
    expect(malformed.body).not.toContain('Hunter2');
    const xml = await t.service.app.inject({
      method: 'POST',
      url: '/users',
      payload: '<user/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('records each rejection as user.creation-failed, with safe fields only, and publishes it', async () => {
    t = await startTestService();
    await t.post(validUser({ email: 'nope' }), { 'x-request-id': 'req-invalid' });
    await t.post(validUser());
    await t.post(validUser({ username: 'ADA', email: 'other@gmail.com' }), { 'x-request-id': 'req-taken' });
    await t.service.settle();
    const failures = t.transport.messages('user.creation-failed').map((message) => ({
      correlationId: message.headers[MessageHeaders.correlationId],
      data: JSON.parse(new TextDecoder().decode(message.value)).data,
    }));
    expect(failures).toEqual([
      {
        correlationId: 'req-invalid',
        data: {
          reason: 'invalid-input',
          errors: [{ path: 'email', message: 'Email must be a valid email address' }],
          failedAt: START_TIME.toISOString(),
        },
      },
      {
        correlationId: 'req-taken',
        data: {
          reason: 'username-taken',
          errors: [{ path: 'username', message: 'Username "ADA" is already taken' }],
          username: 'ADA',
          failedAt: START_TIME.toISOString(),
        },
      },
    ]);
  });
});

describe('GET /users/:id', () => {
  it('reads the user from the projection, without any secret', async () => {
    t = await startTestService();
    const { data } = json(await t.post(validUser({ dateOfBirth: undefined })));
    await t.service.settle();
    const response = await t.get(`/users/${data.userId}`, { 'x-request-id': 'req-get' });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toEqual({
      success: true,
      data: {
        userId: data.userId,
        username: 'ada',
        email: 'ada@gmail.com',
        fullName: 'Ada Lovelace',
        registeredAt: START_TIME.toISOString(),
      },
      meta: { requestId: 'req-get', timestamp: START_TIME.toISOString() },
    });
  });

  it('answers 404 problem details for an unknown user and an unknown route', async () => {
    t = await startTestService();
    const unknown = await t.get('/users/nobody');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json(unknown)).toMatchObject({
      type: 'urn:eventfold:problem:not-found',
      status: 404,
      detail: 'No user with id nobody',
      instance: '/users/nobody',
    });
    const route = await t.get('/nowhere');
    expect(route.statusCode).toBe(404);
    expect(json(route)).toMatchObject({ status: 404, title: 'Not found', instance: '/nowhere' });
  });

  it('is eventually consistent: the projection follows appends in the background', async () => {
    t = await startTestService();
    const { data } = json(await t.post(validUser()));
    await expect.poll(async () => (await t.get(`/users/${data.userId}`)).statusCode).toBe(200);
  });
});
