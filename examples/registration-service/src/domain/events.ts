import { defineEvent, eventCatalog } from '@eventfold/core';
import { z } from 'zod';

// #region events
/** A conference was scheduled. Stream `conference-<id>`. */
export const conferenceScheduled = defineEvent({
  type: 'conference.scheduled',
  schema: z.object({
    conferenceId: z.string(),
    title: z.string(),
    startsAt: z.string(),
    capacity: z.number().int(),
    scheduledAt: z.string(),
  }),
});

/** A user took a seat. Published to `registration.created`, keyed by the conference's stream id. */
export const registrationCreated = defineEvent({
  type: 'registration.created',
  schema: z.object({ registrationId: z.string(), conferenceId: z.string(), userId: z.string(), registeredAt: z.string() }),
});

/** A user gave their seat back. Published to `registration.cancelled`. */
export const registrationCancelled = defineEvent({
  type: 'registration.cancelled',
  schema: z.object({ registrationId: z.string(), conferenceId: z.string(), userId: z.string(), cancelledAt: z.string() }),
});

/** This service learnt of a user from `user.created`. Stream `known_user-<userId>`: the service's own view of users. */
export const knownUserAdded = defineEvent({
  type: 'known-user.added',
  schema: z.object({ userId: z.string(), username: z.string() }),
});
// #endregion events

export const conferenceEvents = eventCatalog([conferenceScheduled, registrationCreated, registrationCancelled]);
export const knownUserEvents = eventCatalog([knownUserAdded]);

// #region upstream
/**
 * What this service reads from `user.created`: the user-service's `user.registered`, as a tolerant
 * reader. Only the fields used here are declared; the others are dropped, so the producer may add fields
 * freely. A message that does not fit goes to `user.created.dlq`.
 */
export const upstreamUserRegistered = defineEvent({
  type: 'user.registered',
  schema: z.object({ userId: z.string().min(1).max(64), username: z.string().min(1).max(100) }),
});
export const upstreamEvents = eventCatalog([upstreamUserRegistered]);
// #endregion upstream

/** Topics the relay publishes to, by event type. */
export const TOPICS = {
  [registrationCreated.type]: 'registration.created',
  [registrationCancelled.type]: 'registration.cancelled',
} as const;

/** The source document creates `registration.created` with 3 partitions. */
export const TOPIC_PARTITIONS = 3;

/** The topic this service consumes. */
export const USER_CREATED_TOPIC = 'user.created';
