import { DomainError } from '@eventfold/core';

/** A rule that the current state of a resource rules out (the HTTP edge answers 409). */
export class ConflictError extends DomainError {}

/** Something asked for does not exist (the HTTP edge answers 404). */
export class NotFoundError extends DomainError {}

export class ConferenceNotFound extends NotFoundError {
  constructor(conferenceId: string) {
    super(`No conference with id ${conferenceId}`);
  }
}

export class RegistrationNotFound extends NotFoundError {
  constructor(conferenceId: string, userId: string) {
    super(`User ${userId} is not registered for conference ${conferenceId}`);
  }
}

export class AlreadyRegistered extends ConflictError {
  constructor(conferenceId: string, userId: string) {
    super(`User ${userId} is already registered for conference ${conferenceId}`);
  }
}

/** No seat left: a business rule (422), not a conflict a retry could clear. */
export class ConferenceFull extends DomainError {
  constructor(conferenceId: string, capacity: number) {
    super(`Conference ${conferenceId} is full (capacity ${capacity})`);
  }
}

/** The user is not (yet) known to this service: `user.created` has not arrived, or never will. */
export class UnknownUser extends DomainError {
  constructor(userId: string) {
    super(`User ${userId} is not known to the registration service (yet)`);
  }
}
