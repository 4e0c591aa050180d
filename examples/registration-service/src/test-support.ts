// Helpers for this service's tests: an in-process service on the in-memory adapters, a fake clock,
// captured logs, a failing store, and user.created messages as the user service would publish them.
import {
  type EventStore,
  eventToMessage,
  type InMemoryEventStore,
  type InMemoryTransport,
  inMemoryEventStore,
  inMemoryTransport,
  type RecordedEvent,
  StoreUnavailableError,
  uuidv7,
} from '@eventfold/core';
import type { LightMyRequestResponse } from 'fastify';
import { createRegistrationService, type RegistrationService, type RegistrationServiceOptions } from './create-registration-service.js';

export const START_TIME = new Date('2025-06-01T12:00:00.000Z');
export const STARTS_AT = '2025-09-01T09:00:00Z';

export interface TestService {
  readonly service: RegistrationService;
  readonly store: InMemoryEventStore;
  readonly transport: InMemoryTransport;
  readonly logs: string[];
  request(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** Publishes `user.created` for a new user, as the user service's relay would, and returns the user id. */
  userCreated(username: string, userId?: string): Promise<string>;
  /** Publishes users and waits until the service knows them all. */
  knownUsers(count: number): Promise<string[]>;
  /** Schedules a conference and returns its id. */
  conference(capacity: number, title?: string): Promise<string>;
  stop(): Promise<void>;
}

let position = 0n;

/** A `user.registered` event as the user service records it, ready for `eventToMessage`. */
export function userRegisteredEvent(userId: string, username: string, overrides: Partial<RecordedEvent> = {}): RecordedEvent {
  position += 1n;
  return {
    id: uuidv7(),
    type: 'user.registered',
    schemaVersion: 1,
    streamId: `user-${userId}`,
    version: 1,
    position,
    data: { userId, username, email: `${username}@gmail.com`, fullName: username, registeredAt: START_TIME.toISOString() },
    metadata: { correlationId: `req-${username}` },
    recordedAt: START_TIME,
    ...overrides,
  };
}

export async function startTestService(
  options: Partial<Omit<RegistrationServiceOptions, 'store' | 'transport'>> & { wrapStore?: (store: EventStore) => EventStore } = {},
): Promise<TestService> {
  const { wrapStore, ...serviceOptions } = options;
  const store = inMemoryEventStore();
  const transport = inMemoryTransport({ redeliveryDelayMs: 10 });
  const logs: string[] = [];
  const service = createRegistrationService({
    store: wrapStore === undefined ? store : wrapStore(store),
    transport,
    now: () => START_TIME,
    log: { level: 'trace', stream: { write: (line) => void logs.push(line) } },
    ...serviceOptions,
  });
  await service.start();
  const request: TestService['request'] = (method, url, body, headers = {}) =>
    service.app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
  const t: TestService = {
    service,
    store,
    transport,
    logs,
    request,
    async userCreated(username, userId = uuidv7()) {
      await transport.publish('user.created', [eventToMessage(userRegisteredEvent(userId, username))]);
      return userId;
    },
    async knownUsers(count) {
      const ids = await Promise.all(Array.from({ length: count }, (_, i) => t.userCreated(`user${i}`)));
      await service.settle();
      return ids;
    },
    async conference(capacity, title = 'EventfoldConf') {
      const response = await request('POST', '/conferences', { title, startsAt: STARTS_AT, capacity });
      if (response.statusCode !== 201) throw new Error(`scheduling failed: ${response.body}`);
      return JSON.parse(response.body).data.conferenceId;
    },
    async stop() {
      await service.stop();
      await transport.close();
      await store.close();
    },
  };
  return t;
}

/** A store whose reads fail while `down()` is true, and whose appends to matching streams fail. */
export function failingStore(
  store: EventStore,
  plan: { readsFail?: () => boolean; appendFails?: (streamId: string) => boolean },
): EventStore {
  const unavailable = () => new StoreUnavailableError('[test] the store is unreachable');
  const reading = <T>(read: () => Promise<T>): Promise<T> => (plan.readsFail?.() ? Promise.reject(unavailable()) : read());
  return {
    get capabilities() {
      return store.capabilities;
    },
    append: (streamId, events, options) =>
      plan.appendFails?.(streamId) ? Promise.reject(unavailable()) : store.append(streamId, events, options),
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

export function json(response: LightMyRequestResponse): any {
  return JSON.parse(response.body);
}
