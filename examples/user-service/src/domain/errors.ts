import { DomainError } from '@eventfold/core';

/** A rule that the current state of a resource rules out (the HTTP edge answers 409). */
export class ConflictError extends DomainError {}

/** Something asked for does not exist (the HTTP edge answers 404). */
export class NotFoundError extends DomainError {}

/** A value that must be unique is held by another user. */
export class UniquenessError extends ConflictError {
  constructor(
    readonly field: 'username' | 'email',
    message: string,
  ) {
    super(message);
  }
}

export class UsernameTaken extends UniquenessError {
  constructor(username: string) {
    super('username', `Username "${username}" is already taken`);
  }
}

export class EmailTaken extends UniquenessError {
  // The address is not repeated: error messages end up in logs.
  constructor() {
    super('email', 'This email address is already registered');
  }
}

/** The registration took so long that another registration took its reservations over. Retrying starts afresh. */
export class RegistrationAbandoned extends ConflictError {
  constructor() {
    super('The registration was abandoned before it completed; please try again');
  }
}

export class UserNotFound extends NotFoundError {
  constructor(userId: string) {
    super(`No user with id ${userId}`);
  }
}
