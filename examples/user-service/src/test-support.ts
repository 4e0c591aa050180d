// Helpers for this service's tests: an in-process service on the in-memory adapters, a fake clock,
// captured log lines, and a store wrapper that fails on demand.
import {
  type EventStore,
  type InMemoryEventStore,
  type InMemoryTransport,
  inMemoryEventStore,
  inMemoryTransport,
  type NewEvent,
  StoreUnavailableError,
} from '@eventfold/core';
import type { LightMyRequestResponse } from 'fastify';
import { argon2idPasswordHasher, type PasswordHasher } from './application/password-hasher.js';
import { createUserService, type UserService, type UserServiceOptions } from './create-user-service.js';

export const PASSWORD = 'Tr0ub4dour&3xyz';

export function validUser(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { username: 'ada', email: 'ada@gmail.com', password: PASSWORD, fullName: 'Ada Lovelace', dateOfBirth: '1990-12-10', ...overrides };
}

export interface TestService {
  readonly service: UserService;
  readonly store: InMemoryEventStore;
  readonly transport: InMemoryTransport;
  /** Every log line, as written (JSON text). */
  readonly logs: string[];
  /** Moves the fake clock forward. */
  advance(ms: number): void;
  post(body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  stop(): Promise<void>;
}

/** argon2id at 64 KiB and one pass: the real code path in well under a millisecond, so tests stay fast. */
export function cheapPasswordHasher(): PasswordHasher {
  return argon2idPasswordHasher({ memoryKiB: 64, passes: 1 });
}

export const START_TIME = new Date('2025-06-01T12:00:00.000Z');

/** A started user service on the in-memory adapters (or a given store), with a cheap password hasher so tests stay fast. */
export async function startTestService(
  options: Partial<Omit<UserServiceOptions, 'store' | 'transport'>> & { wrapStore?: (store: EventStore) => EventStore } = {},
): Promise<TestService> {
  const { wrapStore, ...serviceOptions } = options;
  const store = inMemoryEventStore();
  const transport = inMemoryTransport();
  const logs: string[] = [];
  let time = START_TIME.getTime();
  const service = createUserService({
    store: wrapStore === undefined ? store : wrapStore(store),
    transport,
    passwordHasher: cheapPasswordHasher(),
    now: () => new Date(time),
    log: { level: 'trace', stream: { write: (line) => void logs.push(line) } },
    ...serviceOptions,
  });
  await service.start();
  return {
    service,
    store,
    transport,
    logs,
    advance(ms) {
      time += ms;
    },
    post: (body, headers = {}) => service.app.inject({ method: 'POST', url: '/users', payload: body as object, headers }),
    get: (url, headers = {}) => service.app.inject({ method: 'GET', url, headers }),
    async stop() {
      await service.stop();
      await transport.close();
      await store.close();
    },
  };
}

/** When an append to a stream should fail, and how. `after` writes the events, then throws: a success the caller cannot see. */
export type AppendFailure = 'unavailable-before' | 'unavailable-after' | 'crash' | undefined;

/** A store whose appends fail as `plan` says, and whose reads fail while `readsFail()` is true. */
export function failingStore(
  store: EventStore,
  plan: { append?: (streamId: string, events: readonly NewEvent[]) => AppendFailure; readsFail?: () => boolean },
): EventStore {
  const unavailable = () => new StoreUnavailableError('[test] the store is unreachable');
  const reading = <T>(read: () => Promise<T>): Promise<T> => (plan.readsFail?.() ? Promise.reject(unavailable()) : read());
  return {
    get capabilities() {
      return store.capabilities;
    },
    async append(streamId, events, options) {
      const failure = plan.append?.(streamId, events);
      if (failure === 'unavailable-before') throw unavailable();
      if (failure === 'crash') throw new Error(`[test] unexpected failure appending to ${streamId}`);
      const result = await store.append(streamId, events, options);
      if (failure === 'unavailable-after') throw unavailable();
      return result;
    },
    readStream: (streamId, options) => reading(() => store.readStream(streamId, options)),
    readAll: (options) => reading(() => store.readAll(options)),
    headPosition: () => reading(() => store.headPosition()),
    onAppend: (listener) => store.onAppend(listener),
    snapshots: store.snapshots,
    checkpoints: store.checkpoints,
    inbox: store.inbox,
    leases: store.leases,
    close: () => store.close(),
  };
}

/** Everything the store holds, as one text (positions are bigints). */
export function storeText(store: InMemoryEventStore): string {
  return JSON.stringify(store.allEvents(), (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}

/** Every message published to the given topics, headers and decoded values, as one text. */
export function messagesText(transport: InMemoryTransport, topics: readonly string[]): string {
  const decoder = new TextDecoder();
  return JSON.stringify(
    topics.flatMap((topic) => transport.messages(topic).map((message) => ({ ...message, value: decoder.decode(message.value) }))),
  );
}

export function json(response: LightMyRequestResponse): any {
  return JSON.parse(response.body);
}
