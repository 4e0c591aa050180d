import { createHash } from 'node:crypto';
import type { EventStore } from '@eventfold/core';
import { type Consumer, consumer, type EventOf, messageToEvent, streamIdOf, type Transport } from '@eventfold/core';
import { knownUserAdded, knownUserEvents, USER_CREATED_TOPIC, upstreamEvents, type upstreamUserRegistered } from '../domain/events.js';

export type KnownUser = EventOf<typeof knownUserAdded>['data'];

/**
 * The users this service knows, fed by `user.created`. Kept in this service's own event store, one
 * stream per user (`known_user-<userId>`), so the view is as durable as the store and needs no table of
 * its own; reading it is one `readStream`.
 */
export interface KnownUsers {
  find(userId: string): Promise<KnownUser | undefined>;
  /**
   * Records a user. The event id is derived from the message id, so a redelivery that slips past the
   * inbox (a crash between this append and the inbox record) appends nothing: the store returns the
   * original append.
   */
  add(user: KnownUser, messageId: string): Promise<void>;
}

export function knownUsers(store: EventStore): KnownUsers {
  const streamOf = (userId: string) => streamIdOf('known_user', userId);
  return {
    async find(userId) {
      const [first] = await store.readStream(streamOf(userId), { limit: 1 });
      if (first === undefined) return undefined;
      return ((await knownUserEvents.decode(first)) as unknown as EventOf<typeof knownUserAdded>).data;
    },
    async add(user, messageId) {
      const event = await knownUserEvents.encode({ id: deterministicId(`known-user:${messageId}`), type: knownUserAdded.type, data: user });
      await store.append(streamOf(user.userId), [event], { expectedVersion: 'any' });
    },
  };
}

/** Consumes `user.created` into {@link KnownUsers}: idempotent through the store's inbox and the deterministic ids above. */
export function knownUsersConsumer(options: {
  transport: Transport;
  store: EventStore;
  users: KnownUsers;
  name?: string;
  /** The Kafka consumer group. @defaultValue the name */
  group?: string;
  /** @defaultValue `'user.created'` */
  topic?: string;
  onError?: (error: unknown) => void;
}): Consumer {
  return consumer({
    name: options.name ?? 'registration-service.known-users',
    ...(options.group === undefined ? {} : { group: options.group }),
    transport: options.transport,
    topics: [options.topic ?? USER_CREATED_TOPIC],
    inbox: options.store.inbox,
    // Unknown event types and payloads that do not fit the upstream schema are dead-lettered at once.
    decode: (message) => upstreamEvents.decode(messageToEvent(message)),
    handle: async (event) => {
      const { userId, username } = (event as unknown as EventOf<typeof upstreamUserRegistered>).data;
      await options.users.add({ userId, username }, event.id);
    },
    retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 },
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
}

/** A UUID-shaped id (version 8) derived from a name: the same name always gives the same id. */
export function deterministicId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
