import { createHash } from 'node:crypto';
import {
  type EventMetadata,
  type EventStore,
  isConcurrencyError,
  isValidationError,
  type Repository,
  repository,
  streamIdOf,
  uuidv7,
  validate,
} from '@eventfold/core';
import { EmailTaken, RegistrationAbandoned, UsernameTaken } from '../domain/errors.js';
import { rejectionEvents, userCreationFailed } from '../domain/events.js';
import { type RegistrationInput, registrationInput } from '../domain/registration-input.js';
import { type ReservationCommand, ReservationHeld, type ReservationState, reservationAggregate } from '../domain/reservation.js';
import { type UserCommand, type UserState, userAggregate } from '../domain/user.js';
import type { PasswordHasher } from './password-hasher.js';

/** What {@link registerUserHandler} needs. */
export interface RegisterUserDependencies {
  readonly store: EventStore;
  readonly hasher: PasswordHasher;
  readonly allowedEmailDomains: readonly string[];
  /** A reservation older than this whose registration never completed may be taken over. */
  readonly reservationTimeoutMs: number;
  readonly now: () => Date;
  /** Hears failures that are logged, not thrown (recording a rejection, releasing reservations). */
  readonly warn: (details: Record<string, unknown>, message: string) => void;
}

export type RegisterUser = (input: unknown, context: { readonly requestId: string }) => Promise<{ readonly userId: string }>;

type Reservations = Repository<ReservationState, ReservationCommand>;

/**
 * Registers a user, in three appends, each checked by the store's optimistic concurrency:
 *
 * 1. claim `username-<lower-case username>`, 2. claim `email-<sha256 of the lower-case email>`,
 * 3. append `user.registered` + `user.password-set` to `user-<id>`, expecting no stream.
 *
 * Two registrations racing for one username or email: exactly one claim lands; the other gets
 * `UsernameTaken` / `EmailTaken` (409). When a later step fails, the claims made so far are released,
 * but only once the user stream is known not to hold a registration: the release first appends
 * `user.registration-abandoned` to `user-<id>` expecting no stream. If the registration had in fact been
 * written (a store error can hide a success), that append fails and the reservations stay. If the process
 * dies between steps, its claims stay until `reservationTimeoutMs` has passed; the next registration that
 * wants such a value abandons the dead registration the same way and takes the value over. A registration
 * that was merely slow then finds its user stream taken, and fails with `RegistrationAbandoned` (409).
 */
export function registerUserHandler(deps: RegisterUserDependencies): RegisterUser {
  const { store, now } = deps;
  // Every racer fails at most once before it sees the winner's claim: the default five attempts are plenty.
  const users = repository(userAggregate, { store });
  const usernames = repository(reservationAggregate('username'), { store });
  const emails = repository(reservationAggregate('email'), { store });
  const schema = registrationInput({ allowedEmailDomains: deps.allowedEmailDomains, now });

  /** Abandons a registration that has not been written. True when the user is (now) abandoned, false when it is registered. */
  async function abandon(userId: string, reason: string, metadata: EventMetadata): Promise<boolean> {
    const { state } = await users.execute(userId, { type: 'abandon', reason } satisfies UserCommand, { metadata });
    return (state as UserState).status === 'abandoned';
  }

  async function claim(reservations: Reservations, key: string, owner: string, metadata: EventMetadata): Promise<void> {
    try {
      await reservations.execute(key, { type: 'claim', owner, at: now().toISOString() }, { metadata });
    } catch (error) {
      if (!(error instanceof ReservationHeld) || now().getTime() - Date.parse(error.claimedAt) < deps.reservationTimeoutMs) throw error;
      // A stale claim: take it over only if its registration provably never completes.
      if (!(await abandon(error.owner, 'reservation expired', metadata))) throw error;
      await reservations.execute(key, { type: 'release', owner: error.owner, reason: 'expired' }, { metadata });
      await reservations.execute(key, { type: 'claim', owner, at: now().toISOString() }, { metadata });
    }
  }

  async function releaseClaims(
    userId: string,
    claims: readonly [Reservations, string][],
    userAppendTried: boolean,
    metadata: EventMetadata,
  ): Promise<void> {
    try {
      if (userAppendTried && !(await abandon(userId, 'registration failed', metadata))) return;
      for (const [reservations, key] of claims) {
        await reservations.execute(key, { type: 'release', owner: userId, reason: 'registration failed' }, { metadata });
      }
    } catch (error) {
      deps.warn({ err: error, userId }, `Could not release reservations; they can be taken over after ${deps.reservationTimeoutMs} ms`);
    }
  }

  async function recordRejection(
    reason: 'invalid-input' | 'username-taken' | 'email-taken',
    errors: { path: string; message: string }[],
    username: string | undefined,
    metadata: EventMetadata,
  ): Promise<void> {
    const event = await rejectionEvents.encode({
      type: userCreationFailed.type,
      data: { reason, errors, ...(username === undefined ? {} : { username }), failedAt: now().toISOString() },
      metadata,
    });
    // Best effort: a rejection is answered whether or not its audit record could be written.
    await store.append(`failed_registration-${uuidv7()}`, [event]).catch((error: unknown) => {
      deps.warn({ err: error, reason }, 'Could not record a rejected registration');
    });
  }

  return async function registerUser(rawInput, { requestId }) {
    const metadata: EventMetadata = { correlationId: requestId };
    let input: RegistrationInput;
    try {
      input = await validate(schema, rawInput, 'Registration');
    } catch (error) {
      if (isValidationError(error)) {
        const errors = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
        await recordRejection('invalid-input', errors, undefined, metadata);
      }
      throw error;
    }

    const userId = uuidv7();
    const claims: [Reservations, string][] = [];
    let userAppendTried = false;
    try {
      for (const [reservations, key, field] of [
        [usernames, input.username.toLowerCase(), 'username'],
        [emails, sha256(input.email.toLowerCase()), 'email'],
      ] as const) {
        claims.push([reservations, key]);
        try {
          await claim(reservations, key, userId, metadata);
        } catch (error) {
          if (!(error instanceof ReservationHeld)) throw error;
          claims.pop(); // definitely not ours
          const taken = field === 'username' ? new UsernameTaken(input.username) : new EmailTaken();
          await recordRejection(`${field}-taken`, [{ path: field, message: taken.message }], input.username, metadata);
          throw taken;
        }
      }
      const passwordHash = await deps.hasher.hash(input.password);
      userAppendTried = true;
      const registeredAt = now().toISOString();
      const command: UserCommand = {
        type: 'register',
        profile: {
          userId,
          username: input.username,
          email: input.email,
          fullName: input.fullName,
          ...(input.dateOfBirth === undefined ? {} : { dateOfBirth: input.dateOfBirth }),
          registeredAt,
        },
        passwordHash,
      };
      await users.execute(userId, command, { expectedVersion: 'no-stream', metadata });
      return { userId };
    } catch (error) {
      if (claims.length > 0) await releaseClaims(userId, claims, userAppendTried, metadata);
      // Expecting no stream and finding one: a clean-up abandoned this registration meanwhile.
      if (isConcurrencyError(error) && error.streamId === streamIdOf(userAggregate.name, userId)) throw new RegistrationAbandoned();
      throw error;
    }
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
