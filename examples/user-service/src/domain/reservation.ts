import { DomainError, defineAggregate, type EventOf } from '@eventfold/core';
import { type reservationClaimed, reservationEvents, type reservationReleased } from './events.js';

export type ReservationEvent = EventOf<typeof reservationClaimed> | EventOf<typeof reservationReleased>;
export type ReservationState = { readonly owner?: string; readonly claimedAt?: string };
export type ReservationCommand =
  | { readonly type: 'claim'; readonly owner: string; readonly at: string }
  | { readonly type: 'release'; readonly owner: string; readonly reason: string };

/** The value is claimed by someone else. */
export class ReservationHeld extends DomainError {
  constructor(
    readonly owner: string,
    readonly claimedAt: string,
  ) {
    super(`The value is reserved by ${owner} since ${claimedAt}`);
  }
}

/**
 * A unique value, one stream per value (`username-ada`, `email-<sha256>`). The first claim is appended
 * expecting version 0, i.e. no stream: when two registrations race for one value, the event store's
 * optimistic concurrency check lets exactly one append land, on every store. The loser reloads, sees
 * the owner and fails with {@link ReservationHeld}. A released value is claimed again at the version it
 * was seen free, so the same check keeps it exclusive.
 */
export function reservationAggregate(kind: 'username' | 'email') {
  return defineAggregate<ReservationState, ReservationCommand, ReservationEvent>({
    name: kind,
    events: reservationEvents,
    initialState: () => ({}),
    evolve: (state, event) => {
      switch (event.type) {
        case 'reservation.claimed':
          return { owner: event.data.owner, claimedAt: event.data.claimedAt };
        case 'reservation.released':
          return state.owner === event.data.owner ? {} : state;
      }
    },
    decide: (command, state) => {
      switch (command.type) {
        case 'claim':
          if (state.owner === command.owner) return [];
          if (state.owner !== undefined) throw new ReservationHeld(state.owner, state.claimedAt ?? '');
          return [{ type: 'reservation.claimed', data: { owner: command.owner, claimedAt: command.at } }];
        case 'release':
          return state.owner === command.owner
            ? [{ type: 'reservation.released', data: { owner: command.owner, reason: command.reason } }]
            : [];
      }
    },
  });
}
