import { defineAggregate, type EventOf } from '@eventfold/core';
import { AlreadyRegistered, ConferenceFull, ConferenceNotFound, ConflictError, RegistrationNotFound } from './errors.js';
import { conferenceEvents, type conferenceScheduled, type registrationCancelled, type registrationCreated } from './events.js';

export type ConferenceEvent =
  | EventOf<typeof conferenceScheduled>
  | EventOf<typeof registrationCreated>
  | EventOf<typeof registrationCancelled>;

export type ConferenceState =
  | { readonly scheduled: false }
  | {
      readonly scheduled: true;
      readonly conferenceId: string;
      readonly title: string;
      readonly startsAt: string;
      readonly capacity: number;
      /** Registered users, with the id of their registration. An array, so the state is its own snapshot. */
      readonly attendees: readonly { readonly userId: string; readonly registrationId: string }[];
    };

export type ConferenceCommand =
  | {
      readonly type: 'schedule';
      readonly conferenceId: string;
      readonly title: string;
      readonly startsAt: string;
      readonly capacity: number;
      readonly at: string;
    }
  | {
      readonly type: 'register';
      readonly conferenceId: string;
      readonly userId: string;
      readonly registrationId: string;
      readonly at: string;
    }
  | { readonly type: 'cancel'; readonly conferenceId: string; readonly userId: string; readonly at: string };

/** Seats left in a scheduled conference. */
export function seatsLeft(state: ConferenceState): number {
  return state.scheduled ? state.capacity - state.attendees.length : 0;
}

/**
 * A conference and its seats, stream `conference-<id>`. Every registration is decided against the
 * loaded list of attendees and appended at the loaded version, so when concurrent requests race for
 * the last seats the store's optimistic concurrency check lets one append land per version: the others
 * reload and decide again, and the capacity is never exceeded, on any store.
 */
export const conferenceAggregate = defineAggregate<ConferenceState, ConferenceCommand, ConferenceEvent>({
  name: 'conference',
  events: conferenceEvents,
  // Loading replays every registration; a snapshot after more than 10 new events keeps that short.
  snapshot: { version: 1 },
  initialState: () => ({ scheduled: false }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'conference.scheduled': {
        const { conferenceId, title, startsAt, capacity } = event.data;
        return { scheduled: true, conferenceId, title, startsAt, capacity, attendees: [] };
      }
      case 'registration.created':
        return state.scheduled
          ? { ...state, attendees: [...state.attendees, { userId: event.data.userId, registrationId: event.data.registrationId }] }
          : state;
      case 'registration.cancelled':
        return state.scheduled
          ? { ...state, attendees: state.attendees.filter((attendee) => attendee.userId !== event.data.userId) }
          : state;
    }
  },
  decide: (command, state) => {
    if (command.type === 'schedule') {
      if (state.scheduled) throw new ConflictError(`Conference ${command.conferenceId} is already scheduled`);
      const { conferenceId, title, startsAt, capacity, at } = command;
      return [{ type: 'conference.scheduled', data: { conferenceId, title, startsAt, capacity, scheduledAt: at } }];
    }
    if (!state.scheduled) throw new ConferenceNotFound(command.conferenceId);
    const attendee = state.attendees.find((candidate) => candidate.userId === command.userId);
    switch (command.type) {
      case 'register':
        if (attendee !== undefined) throw new AlreadyRegistered(command.conferenceId, command.userId);
        if (seatsLeft(state) <= 0) throw new ConferenceFull(command.conferenceId, state.capacity);
        return [
          {
            type: 'registration.created',
            data: {
              registrationId: command.registrationId,
              conferenceId: command.conferenceId,
              userId: command.userId,
              registeredAt: command.at,
            },
          },
        ];
      case 'cancel':
        if (attendee === undefined) throw new RegistrationNotFound(command.conferenceId, command.userId);
        return [
          {
            type: 'registration.cancelled',
            data: {
              registrationId: attendee.registrationId,
              conferenceId: command.conferenceId,
              userId: command.userId,
              cancelledAt: command.at,
            },
          },
        ];
    }
  },
});
