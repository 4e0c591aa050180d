import { type CommandHandler, commandHandler, type EventStore, type LoadedAggregate, repository, uuidv7 } from '@eventfold/core';
import { type ConferenceCommand, type ConferenceState, conferenceAggregate } from '../domain/conference.js';
import { registrationInput, scheduleConferenceInput } from '../domain/conference-input.js';
import { UnknownUser } from '../domain/errors.js';
import type { KnownUsers } from './known-users.js';

/** The registration service's commands and the one query that reads the write model. */
export interface Conferences {
  schedule: CommandHandler<ConferenceState>;
  register: CommandHandler<ConferenceState>;
  cancel: CommandHandler<ConferenceState>;
  load(conferenceId: string): Promise<LoadedAggregate<ConferenceState>>;
}

export function conferences(options: { store: EventStore; users: KnownUsers; now: () => Date }): Conferences {
  const { users, now } = options;
  const repo = repository(conferenceAggregate, {
    store: options.store,
    // Each conflict means another registration landed first, so a contender conflicts at most once
    // per seat taken meanwhile. Twenty attempts fill a small conference under any burst; past that,
    // the client gets a 409 and retries.
    retry: { maxAttempts: 20, baseDelayMs: 2, maxDelayMs: 100 },
  });

  return {
    schedule: commandHandler({
      name: 'schedule-conference',
      schema: scheduleConferenceInput(now),
      repository: repo,
      aggregateId: (input) => input.conferenceId,
      toCommand: (input): ConferenceCommand => ({ type: 'schedule', ...input, at: now().toISOString() }),
    }),
    register: commandHandler({
      name: 'register-for-conference',
      schema: registrationInput,
      repository: repo,
      aggregateId: (input) => input.conferenceId,
      toCommand: async (input): Promise<ConferenceCommand> => {
        // The view of users is eventually consistent: a user created a moment ago may not be known yet.
        if ((await users.find(input.userId)) === undefined) throw new UnknownUser(input.userId);
        return { type: 'register', ...input, registrationId: uuidv7(), at: now().toISOString() };
      },
    }),
    cancel: commandHandler({
      name: 'cancel-registration',
      schema: registrationInput,
      repository: repo,
      aggregateId: (input) => input.conferenceId,
      toCommand: (input): ConferenceCommand => ({ type: 'cancel', ...input, at: now().toISOString() }),
    }),
    load: (conferenceId) => repo.load(conferenceId),
  };
}
