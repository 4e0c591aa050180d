import { defineAggregate, type EventOf } from '@eventfold/core';
import { ConflictError, RegistrationAbandoned } from './errors.js';
import { type passwordSet, type registrationAbandoned, userEvents, type userRegistered } from './events.js';

export type UserEvent = EventOf<typeof userRegistered> | EventOf<typeof passwordSet> | EventOf<typeof registrationAbandoned>;

export type UserState =
  | { readonly status: 'new' }
  | { readonly status: 'registered'; readonly username: string; readonly email: string }
  | { readonly status: 'abandoned' };

export type UserCommand =
  | {
      readonly type: 'register';
      readonly profile: EventOf<typeof userRegistered>['data'];
      readonly passwordHash: string;
    }
  | { readonly type: 'abandon'; readonly reason: string };

class AlreadyRegistered extends ConflictError {}

/**
 * A user, stream `user-<id>`. Its first event decides its fate: `user.registered` (with the password
 * hash beside it) or `user.registration-abandoned`. Both are appended expecting no stream, so a stalled
 * registration and the clean-up of its reservations can never both win.
 */
export const userAggregate = defineAggregate<UserState, UserCommand, UserEvent>({
  name: 'user',
  events: userEvents,
  initialState: () => ({ status: 'new' }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'user.registered':
        return { status: 'registered', username: event.data.username, email: event.data.email };
      case 'user.registration-abandoned':
        return state.status === 'new' ? { status: 'abandoned' } : state;
      case 'user.password-set':
        return state;
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'register':
        if (state.status === 'abandoned') throw new RegistrationAbandoned();
        if (state.status === 'registered') throw new AlreadyRegistered(`User ${command.profile.userId} is already registered`);
        return [
          { type: 'user.registered', data: command.profile },
          { type: 'user.password-set', data: { passwordHash: command.passwordHash } },
        ];
      case 'abandon':
        return state.status === 'new' ? [{ type: 'user.registration-abandoned', data: { reason: command.reason } }] : [];
    }
  },
});
