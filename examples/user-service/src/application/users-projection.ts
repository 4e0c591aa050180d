import { type EventOf, type EventStore, type Projection, projection } from '@eventfold/core';
import { userEvents, userRegistered } from '../domain/events.js';
import { withCheckpoints } from './read-model-store.js';

/** A user as `GET /users/:id` shows it. */
export type UserView = EventOf<typeof userRegistered>['data'];

/** The users read model: a projection of `user.registered` events into a map by user id. */
export interface UsersReadModel {
  readonly projection: Projection;
  find(userId: string): UserView | undefined;
}

export function usersReadModel(store: EventStore, options: { onError?: (error: unknown) => void } = {}): UsersReadModel {
  const byId = new Map<string, UserView>();
  const users = projection({
    name: 'users-by-id',
    store: withCheckpoints(store),
    handlers: {
      [userRegistered.type]: async (recorded) => {
        const { data } = (await userEvents.decode(recorded)) as unknown as EventOf<typeof userRegistered>;
        byId.set(data.userId, data);
      },
    },
    reset: async () => byId.clear(),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  return { projection: users, find: (userId) => byId.get(userId) };
}
