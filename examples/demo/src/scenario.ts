/**
 * The demo's scenario: user-service and registration-service, listening on ephemeral ports, driven over
 * real HTTP. The stack under them is the caller's: the embedded default (`in-memory-stack.ts`) or the
 * real servers (`real-demo-stack.ts`). Each step prints one line; the outcome lists every step whose
 * status was not the expected one.
 */
/** Both services, started on some store and transport, and what the scenario needs to know of them. */
export interface DemoStack {
  /** Printed before the first step: where each service runs, on what. */
  readonly header: readonly string[];
  readonly userApi: string;
  readonly registrationApi: string;
  /** How user-service hashes passwords, e.g. `argon2id (m=19456 KiB, t=2, p=1)`, for the line that says so. */
  readonly passwordHashing: string;
  /** How long `user.created` may take to reach registration-service. */
  readonly deliveryTimeoutMs: number;
  /** Where the messages went, for the closing line: e.g. `the shared transport`. */
  readonly transportName: string;
  /** Runs the relays, projection and consumer up to now. */
  settle(): Promise<void>;
  /** Messages published to a topic (named without any prefix) so far. */
  messageCount(topic: string): Promise<number>;
  /** Stops both services and lets go of the stores and the transport. */
  close(): Promise<void>;
}

/** An HTTP answer: its status, and its body parsed when it is JSON. */
interface Reply {
  readonly status: number;
  readonly body: any;
}

async function poll(what: string, attempt: () => Promise<boolean>, timeoutMs = 5_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await attempt()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
}

const short = (id: string) => `${String(id).slice(0, 8)}…`;
/** UUIDs cut to their first 8 characters, so each step fits on a line. */
const shortenIds = (text: string) => text.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, (id) => short(id));
const problem = (reply: Reply) => `${reply.body.title}: ${reply.body.detail}`;

/** What the demo did: how many steps, and the ones that went otherwise than expected. */
export interface DemoOutcome {
  readonly steps: number;
  readonly failures: readonly string[];
}

/** Runs the scenario on `stack`, then closes it, whatever happened. */
export async function runScenario(stack: DemoStack, print: (line: string) => void = console.log): Promise<DemoOutcome> {
  let step = 0;
  const failures: string[] = [];

  /** Sends a request, checks the status, prints one line: number, outcome, status, request, summary. */
  async function expectStatus(
    expected: number,
    method: string,
    base: string,
    path: string,
    body: unknown,
    summary: (reply: Reply) => string,
  ): Promise<Reply> {
    step += 1;
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-request-id': `demo-${step}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const reply: Reply = { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
    const ok = reply.status === expected;
    const request = shortenIds(`${method} ${path}`);
    const line = ok ? shortenIds(summary(reply)) : `expected ${expected}: ${text.slice(0, 300)}`;
    print(`${String(step).padStart(3)} ${ok ? '✓' : '✗'} ${reply.status} ${request.padEnd(49)} ${line}`);
    if (!ok) failures.push(`step ${step}: ${method} ${path} answered ${reply.status}, expected ${expected}`);
    return reply;
  }

  try {
    const { userApi, registrationApi } = stack;
    for (const line of stack.header) print(line);
    print('');

    print(`Users (passwords hashed with ${stack.passwordHashing})`);
    const register = (username: string, email: string) =>
      expectStatus(
        201,
        'POST',
        userApi,
        '/users',
        { username, email, password: 'Secret123!', fullName: `${username} Example` },
        (reply) => `${username} registered as ${short(reply.body.data.userId)}`,
      );
    const ada = (await register('ada', 'ada@gmail.com')).body.data.userId as string;
    await expectStatus(
      400,
      'POST',
      userApi,
      '/users',
      { username: 'a!', email: 'ada@hotmail.com', password: 'short', fullName: 'A', dateOfBirth: '2020-01-01' },
      (reply) =>
        `${reply.body.errors.length} field errors at once: ${[...new Set(reply.body.errors.map((e: { path: string }) => e.path))].join(', ')}`,
    );
    await expectStatus(
      409,
      'POST',
      userApi,
      '/users',
      { username: 'ADA', email: 'another.ada@gmail.com', password: 'Secret123!', fullName: 'Ada Again' },
      problem,
    );
    await expectStatus(
      409,
      'POST',
      userApi,
      '/users',
      { username: 'adal', email: 'ADA@GMAIL.COM', password: 'Secret123!', fullName: 'Ada L' },
      problem,
    );
    const bob = (await register('bob', 'bob@company.com')).body.data.userId as string;
    const carol = (await register('carol', 'carol@gmail.com')).body.data.userId as string;
    await poll('the users projection', async () => (await fetch(`${userApi}/users/${ada}`)).status === 200, stack.deliveryTimeoutMs);
    await expectStatus(
      200,
      'GET',
      userApi,
      `/users/${ada}`,
      undefined,
      (reply) => `from the projection: ${reply.body.data.username} <${reply.body.data.email}>`,
    );
    await expectStatus(404, 'GET', userApi, '/users/nobody', undefined, problem);

    print('\nuser.created → registration-service (relay → transport → idempotent consumer)');
    for (const [name, id] of [
      ['ada', ada],
      ['bob', bob],
      ['carol', carol],
    ] as const) {
      const waited = await poll(
        `registration-service to know ${name}`,
        async () => (await fetch(`${registrationApi}/known-users/${id}`)).status === 200,
        stack.deliveryTimeoutMs,
      );
      await expectStatus(
        200,
        'GET',
        registrationApi,
        `/known-users/${id}`,
        undefined,
        (reply) => `${reply.body.data.username} is known (after ${waited} ms of polling)`,
      );
    }

    print('\nA conference with 2 seats');
    const startsAt = new Date(Date.now() + 30 * 24 * 3_600_000).toISOString();
    const conference = (
      await expectStatus(
        201,
        'POST',
        registrationApi,
        '/conferences',
        { title: 'EventfoldConf', startsAt, capacity: 2 },
        (reply) => `"${reply.body.data.title}" scheduled with ${reply.body.data.seatsLeft} seats`,
      )
    ).body.data.conferenceId as string;
    const registrationsOf = `/conferences/${conference}/registrations`;
    const seats = (reply: Reply) => `${reply.body.data.seatsLeft} seat(s) left`;
    await expectStatus(422, 'POST', registrationApi, registrationsOf, { userId: 'someone-unknown' }, problem);
    await expectStatus(201, 'POST', registrationApi, registrationsOf, { userId: ada }, (reply) => `ada registered, ${seats(reply)}`);
    await expectStatus(409, 'POST', registrationApi, registrationsOf, { userId: ada }, problem);
    await expectStatus(201, 'POST', registrationApi, registrationsOf, { userId: bob }, (reply) => `bob registered, ${seats(reply)}`);
    await expectStatus(422, 'POST', registrationApi, registrationsOf, { userId: carol }, problem);
    await expectStatus(200, 'DELETE', registrationApi, `${registrationsOf}/${ada}`, undefined, (reply) => `ada cancelled, ${seats(reply)}`);
    await expectStatus(201, 'POST', registrationApi, registrationsOf, { userId: carol }, (reply) => `carol registered, ${seats(reply)}`);
    await expectStatus(
      200,
      'GET',
      registrationApi,
      `/conferences/${conference}`,
      undefined,
      (reply) => `${reply.body.data.registered} registered of ${reply.body.data.capacity}, ${reply.body.data.seatsLeft} left`,
    );

    print('\nOperations');
    for (const [name, api] of [
      ['user-service', userApi],
      ['registration-service', registrationApi],
    ] as const) {
      await expectStatus(
        200,
        'GET',
        api,
        '/ready',
        undefined,
        (reply) =>
          `${name}: ${reply.body.status} (${Object.entries(reply.body.checks)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`,
      );
    }
    await expectStatus(200, 'GET', registrationApi, '/metrics', undefined, (reply) => {
      const consumed = /kafka_consumer_records_consumed_total\{[^}]*\} (\d+)/.exec(reply.body)?.[1];
      return `kafka_consumer_records_consumed_total ${consumed}, and ${reply.body.split('\n').filter((l: string) => l.startsWith('http_request_duration_seconds_count')).length} request series`;
    });

    await stack.settle();
    const expectedCounts = { 'user.created': 3, 'user.creation-failed': 3, 'registration.created': 3, 'registration.cancelled': 1 };
    const counts = Object.fromEntries(
      await Promise.all(Object.keys(expectedCounts).map(async (topic) => [topic, await stack.messageCount(topic)] as const)),
    );
    print(
      `\nMessages on ${stack.transportName}: ${Object.entries(counts)
        .map(([topic, count]) => `${topic} ${count}`)
        .join(', ')}`,
    );
    for (const [topic, count] of Object.entries(expectedCounts)) {
      if (counts[topic] !== count) failures.push(`${topic} holds ${counts[topic]} messages, expected ${count}`);
    }
  } catch (error) {
    failures.push(`the scenario stopped: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    print('\nShutting down: HTTP, consumer, relays, projection, then the transport and the stores');
    await stack.close();
  }
  return { steps: step, failures };
}
