import { describe, expect, it } from 'vitest';
import { failingStore, json, messagesText, PASSWORD, startTestService, storeText, validUser } from '../test-support.js';

// The password must never be written anywhere but into its hash: not in an event, a published message,
// a log line or an error body. Each check searches the raw text.
describe('the password', () => {
  it('appears in no stored event, published message, log line or response, whatever happens to the request', async () => {
    let crash = false;
    const t = await startTestService({
      wrapStore: (store) => failingStore(store, { append: (streamId) => (crash && streamId.startsWith('user-') ? 'crash' : undefined) }),
    });
    const weak = 'weakpassword'; // fails the rules: it comes back in no 400
    const responses = [
      await t.post(validUser()),
      await t.post(validUser({ username: 'ADA', email: 'other@gmail.com' })),
      await t.post(validUser({ username: 'bob', email: 'ADA@gmail.com' })),
      await t.post(validUser({ username: 'x!', email: 'bad', password: weak })),
      await t.post(validUser({ username: 'carol', email: 'carol@gmail.com', password: `${PASSWORD}${'x'.repeat(200)}` })),
      await t.service.app.inject({
        method: 'POST',
        url: '/users',
        payload: `{"username":"dave","password":"${PASSWORD}"`,
        headers: { 'content-type': 'application/json' },
      }),
    ];
    crash = true;
    responses.push(await t.post(validUser({ username: 'erin', email: 'erin@gmail.com' })));
    crash = false;
    await t.service.settle();
    await t.stop();

    expect(responses.map((response) => response.statusCode)).toEqual([201, 409, 409, 400, 400, 400, 500]);
    const texts = {
      events: storeText(t.store),
      messages: messagesText(t.transport, ['user.created', 'user.creation-failed']),
      logs: t.logs.join(''),
      responses: responses.map((response) => response.body).join('\n'),
    };
    for (const [where, text] of Object.entries(texts)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text, where).not.toContain(PASSWORD);
      expect(text, where).not.toContain(weak);
    }
    // The hash is stored, but only in the store: it never leaves the service.
    expect(texts.events).toMatch(/\$argon2id\$v=19\$m=64,t=1,p=1\$/);
    expect(texts.messages).not.toContain('$argon2id$');
    expect(texts.messages).not.toContain('user.password-set');
  });

  it('is redacted from a log line that includes the request body (a 500 logs it for diagnosis)', async () => {
    const t = await startTestService({
      wrapStore: (store) => failingStore(store, { append: (streamId) => (streamId.startsWith('user-') ? 'crash' : undefined) }),
    });
    const response = await t.post(validUser(), { 'x-request-id': 'req-500' });
    await t.stop();
    expect(response.statusCode).toBe(500);
    expect(json(response)).toEqual({
      type: 'urn:eventfold:problem:internal',
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred; quote the request id when reporting it.',
      instance: '/users',
      requestId: 'req-500',
    });
    expect(response.body).not.toContain('[test]'); // the error's own message stays in the log
    const logged = t.logs.map((line) => JSON.parse(line)).find((line) => line.requestId === 'req-500' && line.level === 50);
    expect(logged).toMatchObject({
      body: { username: 'ada', password: '[redacted]' },
      err: { message: expect.stringContaining('[test]') },
    });
  });
});
