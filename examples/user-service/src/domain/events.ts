import { defineEvent, eventCatalog } from '@eventfold/core';
import { z } from 'zod';

// #region events
/** A user registered. Published to `user.created`; carries no secret (the password hash has its own event). */
export const userRegistered = defineEvent({
  type: 'user.registered',
  schema: z.object({
    userId: z.string(),
    username: z.string(),
    email: z.string(),
    fullName: z.string(),
    dateOfBirth: z.string().optional(),
    registeredAt: z.string(),
  }),
});

/** The user's password hash. Appended with `user.registered`, in the same stream; the relay never routes it. */
export const passwordSet = defineEvent({
  type: 'user.password-set',
  schema: z.object({ passwordHash: z.string() }),
});

/** A registration that will never complete: its reservations may be released. Written to `user-<id>` so it races the registration itself. */
export const registrationAbandoned = defineEvent({
  type: 'user.registration-abandoned',
  schema: z.object({ reason: z.string() }),
});

/** A rejected registration, kept for audit and published to `user.creation-failed`. Only safe fields: never the password. */
export const userCreationFailed = defineEvent({
  type: 'user.creation-failed',
  schema: z.object({
    reason: z.enum(['invalid-input', 'username-taken', 'email-taken']),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
    /** Only for a well-formed username that was taken. */
    username: z.string().optional(),
    failedAt: z.string(),
  }),
});

/** A unique value (a username, an email) claimed for a user. Stream `username-<value>` or `email-<hash>`. */
export const reservationClaimed = defineEvent({
  type: 'reservation.claimed',
  schema: z.object({ owner: z.string(), claimedAt: z.string() }),
});

/** A claim given up: the value is free again. */
export const reservationReleased = defineEvent({
  type: 'reservation.released',
  schema: z.object({ owner: z.string(), reason: z.string() }),
});
// #endregion events

export const userEvents = eventCatalog([userRegistered, passwordSet, registrationAbandoned]);
export const reservationEvents = eventCatalog([reservationClaimed, reservationReleased]);
export const rejectionEvents = eventCatalog([userCreationFailed]);

/** Topics the relay publishes to, by event type. Routed by type, not by category, so `user.password-set` never leaves the service. */
export const TOPICS = {
  [userRegistered.type]: 'user.created',
  [userCreationFailed.type]: 'user.creation-failed',
} as const;
