import type { ExpectedVersion } from './event-store.js';

/**
 * Stable, machine-readable error codes. They never change meaning between releases,
 * so callers can switch on them safely (also across two installed copies of the package).
 */
export type EventfoldErrorCode =
  | 'CONCURRENCY'
  | 'VALIDATION'
  | 'DOMAIN'
  | 'DUPLICATE_EVENT'
  | 'UNKNOWN_EVENT_TYPE'
  | 'STORE_UNAVAILABLE'
  | 'CONFIGURATION';

// A registry symbol, so errors from two installed copies of the package are still recognised.
const brand = Symbol.for('eventfold.EventfoldError');

/** Options shared by every Eventfold error. */
export interface EventfoldErrorOptions {
  /** The underlying error (for example the driver's), kept for diagnosis. */
  cause?: unknown;
}

/**
 * Base class of every error Eventfold throws.
 *
 * `code` is stable; `retryable` tells whether repeating the same operation can succeed.
 */
export class EventfoldError extends Error {
  readonly code: EventfoldErrorCode;
  readonly retryable: boolean;

  constructor(code: EventfoldErrorCode, message: string, retryable: boolean, options?: EventfoldErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = retryable;
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** A stream was not at the version the writer expected: another writer got there first. */
export class ConcurrencyError extends EventfoldError {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  /** The stream's version when the append was rejected (0 for a stream that does not exist). */
  readonly actual: number;

  constructor(streamId: string, expected: ExpectedVersion, actual: number, options?: EventfoldErrorOptions) {
    super(
      'CONCURRENCY',
      `Stream "${streamId}" is at version ${actual}, but the append expected ${JSON.stringify(expected)}. Reload the stream and decide again.`,
      true,
      options,
    );
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/** One problem found while validating input, with the path of the offending field. */
export interface ValidationIssue {
  readonly message: string;
  readonly path: readonly (string | number)[];
}

/** Input failed a schema: a command, an event payload, a stream id or a message from a broker. */
export class ValidationError extends EventfoldError {
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[], options?: EventfoldErrorOptions) {
    super('VALIDATION', issues.length === 0 ? message : `${message}: ${formatIssues(issues)}`, false, options);
    this.issues = issues;
  }
}

function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/**
 * A business rule rejected a command. Extend it for each rule so callers can tell them apart:
 *
 * @example
 * ```ts
 * class UsernameTaken extends DomainError {
 *   constructor(readonly username: string) { super(`Username ${username} is taken`); }
 * }
 * ```
 */
export class DomainError extends EventfoldError {
  constructor(message: string, options?: EventfoldErrorOptions) {
    super('DOMAIN', message, false, options);
  }
}

/** An event id is already stored at a different place (another stream, or another version). */
export class DuplicateEventError extends EventfoldError {
  readonly eventId: string;
  readonly streamId: string;

  constructor(eventId: string, streamId: string, options?: EventfoldErrorOptions) {
    super(
      'DUPLICATE_EVENT',
      `Event id ${eventId} is already stored elsewhere than this append to "${streamId}" would put it. Event ids must be unique store-wide.`,
      false,
      options,
    );
    this.eventId = eventId;
    this.streamId = streamId;
  }
}

/** An event type is not in the event catalog. */
export class UnknownEventTypeError extends EventfoldError {
  readonly eventType: string;

  constructor(eventType: string, options?: EventfoldErrorOptions) {
    super(
      'UNKNOWN_EVENT_TYPE',
      `Event type "${eventType}" is not in the event catalog. Add its definition, or read with { unknownEvents: 'raw' }.`,
      false,
      options,
    );
    this.eventType = eventType;
  }
}

/** The store (or broker) could not be reached or failed transiently. Retrying later may succeed. */
export class StoreUnavailableError extends EventfoldError {
  constructor(message: string, options?: EventfoldErrorOptions) {
    super('STORE_UNAVAILABLE', message, true, options);
  }
}

/** Options or wiring are wrong. Fix the code or the configuration; retrying will not help. */
export class ConfigurationError extends EventfoldError {
  constructor(message: string, options?: EventfoldErrorOptions) {
    super('CONFIGURATION', message, false, options);
  }
}

function hasCode(error: unknown, code: EventfoldErrorCode): boolean {
  return isEventfoldError(error) && error.code === code;
}

/** True for any Eventfold error, even one thrown by another installed copy of the package. */
export function isEventfoldError(error: unknown): error is EventfoldError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}

/** True for a {@link ConcurrencyError}, from any installed copy of the package. */
export function isConcurrencyError(error: unknown): error is ConcurrencyError {
  return hasCode(error, 'CONCURRENCY');
}

/** True for a {@link ValidationError}, from any installed copy of the package. */
export function isValidationError(error: unknown): error is ValidationError {
  return hasCode(error, 'VALIDATION');
}

/** True for a {@link DomainError}, from any installed copy of the package. */
export function isDomainError(error: unknown): error is DomainError {
  return hasCode(error, 'DOMAIN');
}

/** True for a {@link DuplicateEventError}, from any installed copy of the package. */
export function isDuplicateEventError(error: unknown): error is DuplicateEventError {
  return hasCode(error, 'DUPLICATE_EVENT');
}

/** True for an {@link UnknownEventTypeError}, from any installed copy of the package. */
export function isUnknownEventTypeError(error: unknown): error is UnknownEventTypeError {
  return hasCode(error, 'UNKNOWN_EVENT_TYPE');
}

/** True for a {@link StoreUnavailableError}, from any installed copy of the package. */
export function isStoreUnavailableError(error: unknown): error is StoreUnavailableError {
  return hasCode(error, 'STORE_UNAVAILABLE');
}

/** True for a {@link ConfigurationError}, from any installed copy of the package. */
export function isConfigurationError(error: unknown): error is ConfigurationError {
  return hasCode(error, 'CONFIGURATION');
}
