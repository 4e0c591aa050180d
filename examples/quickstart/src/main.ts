/**
 * Eventfold in one file: an event catalog, a decider aggregate, a command handler with zod
 * validation and a repository; then the outbox relay publishing the store's log to a broker,
 * an idempotent consumer, and a projection. All on the embedded in-memory store and transport.
 * Run it with `bash scripts/demo.sh` (or `pnpm demo`).
 */
import {
  commandHandler,
  consumer,
  DomainError,
  defineAggregate,
  defineEvent,
  eventCatalog,
  inMemoryEventStore,
  inMemoryTransport,
  isEventfoldError,
  projection,
  type RecordedEvent,
  relay,
  repository,
} from '@eventfold/core';
import { z } from 'zod';

// #region events
const userRegistered = defineEvent({
  type: 'user.registered',
  schema: z.object({ username: z.string(), email: z.email() }),
});
const emailChanged = defineEvent({
  type: 'user.email-changed',
  schema: z.object({ from: z.email(), to: z.email() }),
});
const userEvents = eventCatalog([userRegistered, emailChanged]);
// #endregion events

// #region aggregate
type UserEvent =
  | { type: 'user.registered'; data: { username: string; email: string } }
  | { type: 'user.email-changed'; data: { from: string; to: string } };
type UserCommand = { type: 'register'; username: string; email: string } | { type: 'change-email'; email: string };
type UserState = { registered: false } | { registered: true; username: string; email: string };

class AlreadyRegistered extends DomainError {}
class NotRegistered extends DomainError {}

const user = defineAggregate<UserState, UserCommand, UserEvent>({
  name: 'user',
  events: userEvents,
  initialState: () => ({ registered: false }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'user.registered':
        return { registered: true, ...event.data };
      case 'user.email-changed':
        return state.registered ? { ...state, email: event.data.to } : state;
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'register':
        if (state.registered) throw new AlreadyRegistered(`User ${state.username} is already registered`);
        return [{ type: 'user.registered', data: { username: command.username, email: command.email } }];
      case 'change-email':
        if (!state.registered) throw new NotRegistered('Only a registered user can change their email');
        if (state.email === command.email) return [];
        return [{ type: 'user.email-changed', data: { from: state.email, to: command.email } }];
    }
  },
});
// #endregion aggregate

const store = inMemoryEventStore();
const users = repository(user, { store });

const register = commandHandler({
  name: 'register-user',
  schema: z.object({ userId: z.string().min(1), username: z.string().regex(/^[a-z0-9]{3,30}$/i), email: z.email() }),
  repository: users,
  aggregateId: (input) => input.userId,
  toCommand: (input): UserCommand => ({ type: 'register', username: input.username, email: input.email }),
});

function show(event: RecordedEvent): string {
  return `  #${event.position} ${event.streamId} v${event.version} ${event.type} ${JSON.stringify(event.data)}`;
}

async function step(title: string, action: () => Promise<unknown>): Promise<void> {
  console.log(`\n> ${title}`);
  try {
    const result = (await action()) as { events?: readonly RecordedEvent[] } | undefined;
    const events = result?.events ?? [];
    console.log(events.length === 0 ? '  (no new events)' : events.map(show).join('\n'));
  } catch (error) {
    if (!isEventfoldError(error)) throw error;
    console.log(`  rejected: ${error.name} [${error.code}] ${error.message}`);
  }
}

await step('register ada', () =>
  register({ userId: 'u1', username: 'ada', email: 'ada@example.com' }, { metadata: { correlationId: 'req-1' } }),
);
await step('register with a bad username and email (every field error at once)', () =>
  register({ userId: 'u2', username: 'a!', email: 'nope' }),
);
await step('register ada again (a domain rule)', () => register({ userId: 'u1', username: 'ada', email: 'ada@example.com' }));
await step('change ada’s email', () => users.execute('u1', { type: 'change-email', email: 'ada@lovelace.dev' }));
await step('three concurrent email changes (optimistic concurrency, retried)', async () => {
  const results = await Promise.all(['a@x.io', 'b@x.io', 'c@x.io'].map((email) => users.execute('u1', { type: 'change-email', email })));
  return { events: results.flatMap((result) => result.events) };
});

const loaded = await users.load('u1');
console.log(`\nuser-u1 is at version ${loaded.version}:`, loaded.state);
console.log(`the store holds ${(await store.readAll()).length} events; the log in store order:`);
for (const event of await store.readAll()) console.log(show(event));

// #region messaging
console.log('\n--- the store is the outbox: relay → broker → idempotent consumer, and a projection');
const transport = inMemoryTransport({ partitions: 3 });

// The relay publishes each user event to `user.created`, keyed by stream id, and moves its
// checkpoint only after the broker acknowledged.
const outbox = relay({ store, transport, routes: { 'user.registered': 'user.created' } });

// A consumer in another service: the inbox skips redeliveries, so the welcome mail goes out once.
const welcomed: string[] = [];
const welcomeMailer = consumer({
  name: 'welcome-mailer',
  transport,
  topics: ['user.created'],
  inbox: store.inbox,
  handle: async (event) => {
    welcomed.push((event.data as { username: string }).username);
  },
});

// A read model kept from the store's own log.
const usernames = new Map<string, string>();
const directory = projection({
  name: 'user-directory',
  store,
  handlers: {
    'user.registered': async (event) => {
      usernames.set(event.streamId, (event.data as { username: string }).username);
    },
  },
});

await register({ userId: 'u2', username: 'grace', email: 'grace@example.com' });
const relayed = await outbox.runOnce();
console.log(`relay published ${relayed.published} event(s), passed over ${relayed.skipped}, checkpoint now #${relayed.checkpoint}`);
// Run the relay again from scratch, as after a crash before its checkpoint write: the broker
// gets the events twice, and the consumer's inbox absorbs the repeats.
await store.checkpoints.delete('relay:outbox');
await outbox.runOnce();
await welcomeMailer.start();
while (welcomeMailer.stats().handled + welcomeMailer.stats().duplicates < 4) await new Promise((resolve) => setTimeout(resolve, 10));
await welcomeMailer.stop();
console.log('welcome mails sent to:', welcomed.join(', '), `(${welcomeMailer.stats().duplicates} redelivered duplicate(s) skipped)`);
await directory.runOnce();
console.log('user directory projection:', Object.fromEntries(usernames));
await transport.close();
await store.close();
// #endregion messaging
