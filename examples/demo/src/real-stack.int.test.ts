// End to end on the real servers: user-service and registration-service in-process, wired from their
// configuration exactly as `main.ts` does, on PostgreSQL (then MongoDB/FerretDB) and Kafka. Each run has
// its own schemas or databases and its own topic prefix, and drops them at the end. Needs the servers of
// `bash scripts/services up`; fails (never skips) without them.
import { randomBytes } from 'node:crypto';
import { argon2Available } from '@eventfold/example-user-service';
import { afterAll, describe, expect, it } from 'vitest';
import { requireKafkaBrokers, requireMongoUrl, requirePostgresUrl, setupOrFailEach } from '../../../test/support/services.js';
import { eventually, type RealStack, type StoreKind, startRealStack } from './real-stack.js';

const decoder = new TextDecoder();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each<[StoreKind, string]>([
  ['postgres', 'PostgreSQL event store'],
  ['mongo', 'MongoDB event store'],
])('both services on %s and Kafka', (kind, storeDescription) => {
  let stack: RealStack;
  const suffix = randomBytes(4).toString('hex');
  const username = `ada${suffix}`;
  const password = `Pw!${suffix}Zz9`;
  let userId: string;
  let conferenceId: string;

  setupOrFailEach(async () => {
    const kafkaBrokers = await requireKafkaBrokers();
    const databaseUrl = kind === 'postgres' ? await requirePostgresUrl() : '';
    const mongoUrl = kind === 'mongo' ? await requireMongoUrl() : '';
    stack = await startRealStack(kind, { databaseUrl, mongoUrl, kafkaBrokers });
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanUp();
  }, 120_000);

  it('wires the adapters from configuration, creates the topics with 3 partitions, and is ready after real checks', async () => {
    expect(stack.descriptions.user).toContain(storeDescription);
    expect(stack.descriptions.user).toContain('Kafka transport');
    expect(stack.descriptions.registration).toContain(storeDescription);
    for (const topic of ['user.created', 'user.creation-failed', 'registration.created', 'registration.cancelled', 'user.created.dlq']) {
      expect(await stack.partitions(topic), topic).toBe(3);
    }
    for (const api of [stack.userApi, stack.registrationApi]) {
      const ready = await stack.call(api, 'GET', '/ready');
      expect(ready.status, ready.text).toBe(200);
      expect(ready.body.checks).toMatchObject({ store: 'ok', transport: 'ok', broker: 'ok' });
    }
  });

  it('registers a user; registration-service learns it through user.created; registration.created reaches its topic with the headers', async () => {
    const created = await stack.call(
      stack.userApi,
      'POST',
      '/users',
      { username, email: `${username}@gmail.com`, password, fullName: 'Ada Lovelace' },
      { 'x-request-id': `e2e-user-${suffix}` },
    );
    expect(created.status, created.text).toBe(201);
    userId = created.body.data.userId;

    // The relay publishes user.registered to user.created; the registration service's consumer adds the user.
    const known = await eventually('registration-service to know the user', async () => {
      const reply = await stack.call(stack.registrationApi, 'GET', `/known-users/${userId}`);
      return reply.status === 200 ? reply : undefined;
    });
    expect(known.body.data).toMatchObject({ userId, username });

    const [userCreated] = await stack.readTopic('user.created');
    expect(userCreated?.key).toBe(`user-${userId}`);
    expect(userCreated?.headers).toMatchObject({
      'event-type': 'user.registered',
      'stream-id': `user-${userId}`,
      'stream-version': '1',
      'correlation-id': `e2e-user-${suffix}`,
    });

    const startsAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const conference = await stack.call(stack.registrationApi, 'POST', '/conferences', { title: 'EventfoldConf', startsAt, capacity: 2 });
    expect(conference.status, conference.text).toBe(201);
    conferenceId = conference.body.data.conferenceId;
    const registered = await stack.call(
      stack.registrationApi,
      'POST',
      `/conferences/${conferenceId}/registrations`,
      { userId },
      { 'x-request-id': `e2e-registration-${suffix}` },
    );
    expect(registered.status, registered.text).toBe(201);
    expect(registered.body.data.seatsLeft).toBe(1);

    const messages = await eventually('registration.created on its topic', async () => {
      const found = await stack.readTopic('registration.created');
      return found.length > 0 ? found : undefined;
    });
    expect(messages).toHaveLength(1);
    const [message] = messages;
    const streamId = `conference-${conferenceId}`;
    expect(message?.key).toBe(streamId);
    const headers = message?.headers ?? {};
    expect(headers).toMatchObject({
      'event-type': 'registration.created',
      'schema-version': '1',
      'stream-id': streamId,
      'stream-version': '2', // conference.scheduled is version 1
      'correlation-id': `e2e-registration-${suffix}`,
    });
    expect(headers['event-id']).toMatch(UUID);
    expect(headers.position).toMatch(/^\d+$/);
    expect(Number.isNaN(Date.parse(headers['recorded-at'] ?? ''))).toBe(false);
    const value = JSON.parse(decoder.decode(message?.value));
    expect(value.data).toMatchObject({ conferenceId, userId });
    expect(value.metadata).toMatchObject({ correlationId: `e2e-registration-${suffix}` });

    const seats = await stack.call(stack.registrationApi, 'GET', `/conferences/${conferenceId}`);
    expect(seats.body.data).toMatchObject({ registered: 1, seatsLeft: 1 });
  });

  it('restarts registration-service on the same store and topics: what it knew and booked is still there', async () => {
    expect(conferenceId, 'the previous test booked a seat').toBeDefined();
    await stack.restartRegistrations();
    const known = await stack.call(stack.registrationApi, 'GET', `/known-users/${userId}`);
    expect(known.status, known.text).toBe(200);
    const seats = await stack.call(stack.registrationApi, 'GET', `/conferences/${conferenceId}`);
    expect(seats.body.data).toMatchObject({ registered: 1, seatsLeft: 1 });
    const again = await stack.call(stack.registrationApi, 'POST', `/conferences/${conferenceId}/registrations`, { userId });
    expect(again.status, again.text).toBe(409);
    const ready = await eventually('the restarted service to be ready', async () => {
      const reply = await stack.call(stack.registrationApi, 'GET', '/ready');
      return reply.status === 200 ? reply : undefined;
    });
    expect(ready.body.checks).toMatchObject({ store: 'ok', broker: 'ok' });
  });

  it('dead-letters a message that is not an event at once, to user.created.dlq, and the partitions move on', async () => {
    // One poison message on each of the 3 partitions, so whatever partition the next user lands on is behind one.
    await stack.publishRaw(
      'user.created',
      [0, 1, 2].map((partition) => ({ partition, key: `poison-${partition}`, value: 'not an event', headers: { 'x-test': 'poison' } })),
    );
    const created = await stack.call(stack.userApi, 'POST', '/users', {
      username: `carol${suffix}`,
      email: `carol${suffix}@gmail.com`,
      password,
      fullName: 'Carol',
    });
    expect(created.status, created.text).toBe(201);
    await eventually('registration-service to know the user behind the poison', async () => {
      const reply = await stack.call(stack.registrationApi, 'GET', `/known-users/${created.body.data.userId}`);
      return reply.status === 200 ? true : undefined;
    });
    const letters = await eventually('three dead letters', async () => {
      const found = await stack.readTopic('user.created.dlq');
      return found.length >= 3 ? found : undefined;
    });
    expect(letters).toHaveLength(3);
    for (const letter of letters) {
      expect(letter.key).toMatch(/^poison-\d$/);
      expect(letter.headers).toMatchObject({
        'x-test': 'poison',
        'dlq-original-topic': `${stack.topicPrefix}user.created`,
        'dlq-attempts': '1',
      });
      expect(letter.headers['dlq-error-name']).toBeTruthy();
      expect(decoder.decode(letter.value)).toBe('not an event');
    }
    const metrics = await stack.call(stack.registrationApi, 'GET', '/metrics');
    expect(metrics.text).toMatch(/eventfold_dead_letters_total\{[^}]*\} 3/);
  });

  it('lets no password out: not in any stored event, any message on any topic, any log line or any response', async () => {
    expect(userId, 'the previous test registered a user').toBeDefined();
    const passwords = [password, `Pw!${suffix}Dup1`, `weakpw${suffix}`, `Pw!${suffix}Dom2`];
    // A taken username (409), an invalid password (400), a domain off the allowlist (400): each is
    // recorded as user.creation-failed and published; none may carry the password.
    const duplicate = await stack.call(stack.userApi, 'POST', '/users', {
      username: username.toUpperCase(),
      email: `other${suffix}@gmail.com`,
      password: passwords[1],
      fullName: 'Ada Again',
    });
    expect(duplicate.status, duplicate.text).toBe(409);
    const weak = await stack.call(stack.userApi, 'POST', '/users', {
      username: `bob${suffix}`,
      email: `bob${suffix}@gmail.com`,
      password: passwords[2],
      fullName: 'Bob',
    });
    expect(weak.status, weak.text).toBe(400);
    const offList = await stack.call(stack.userApi, 'POST', '/users', {
      username: `eve${suffix}`,
      email: `eve${suffix}@example.org`,
      password: passwords[3],
      fullName: 'Eve',
    });
    expect(offList.status, offList.text).toBe(400);
    await eventually('three user.creation-failed messages', async () =>
      (await stack.readTopic('user.creation-failed')).length >= 3 ? true : undefined,
    );

    const stored = await stack.rawStoreText();
    const topics = await stack.topics();
    expect(topics.map((topic) => topic.slice(stack.topicPrefix.length)).sort()).toEqual(
      expect.arrayContaining(['registration.created', 'user.created', 'user.creation-failed']),
    );
    const published: string[] = [];
    for (const topic of topics) {
      for (const message of await stack.readTopic(topic.slice(stack.topicPrefix.length))) {
        published.push(`${topic} ${message.key} ${JSON.stringify(message.headers)} ${decoder.decode(message.value)}`);
      }
    }
    const logs = stack.logs.join('\n');
    const responses = stack.exchanges
      .map((exchange) => `${exchange.status} ${[...exchange.headers].join(' ')} ${exchange.text}`)
      .join('\n');

    // The searches are real: each text holds what it should.
    expect(stored).toContain(argon2Available() ? '$argon2id$' : '$scrypt$'); // the hash is stored (as user.password-set)
    expect(stored).toContain(username);
    expect(published.join('\n')).toContain(username);
    expect(published.filter((line) => line.includes('user.creation-failed'))).toHaveLength(3);
    expect(logs).toContain('request completed');
    expect(responses).toContain('urn:eventfold:problem');

    for (const secret of passwords) {
      expect(stored.includes(secret), `the store holds ${secret}`).toBe(false);
      expect(published.join('\n').includes(secret), `a message holds ${secret}`).toBe(false);
      expect(logs.includes(secret), `a log line holds ${secret}`).toBe(false);
      expect(responses.includes(secret), `a response holds ${secret}`).toBe(false);
    }
  });

  it('shuts down gracefully: the services stop, then the pools and clients close', async () => {
    await stack.stop();
    // Closed infrastructure refuses further use instead of hanging on a dangling pool or client.
    await expect(stack.users.settle()).rejects.toThrow();
  });
});
