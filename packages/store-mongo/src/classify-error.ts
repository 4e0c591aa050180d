import { ConfigurationError, type EventfoldError, isEventfoldError, StoreUnavailableError, ValidationError } from '@eventfold/core';

/** What a driver error means for the store. */
export type MongoErrorKind = 'duplicate-key' | 'unavailable' | 'invalid-document' | 'configuration' | 'unknown';

// Server codes that mean "the server (or the primary) is not there right now": shutdown, step-down,
// network trouble seen by the server, time limits.
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

// Server codes for a document the server refuses to store. FerretDB answers 2 (BadValue) for nested
// arrays, `$`/`.` in keys and infinities; MongoDB uses the others.
const INVALID_DOCUMENT_CODES = new Set([
  2, // BadValue
  52, // DollarPrefixedFieldName
  56, // EmptyFieldName
  57, // DottedFieldName
  10334, // BSONObjectTooLarge
  17419, // document too large (insert)
  17420, // document too large (update)
]);

const DUPLICATE_KEY_CODES = new Set([11000, 11001, 12582]);

const CONFIGURATION_CODES = new Set([
  13, // Unauthorized
  18, // AuthenticationFailed
  73, // InvalidNamespace
]);

// Driver error classes, matched by name (not instanceof) so two installed driver versions both work.
const UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
  'MongoServerClosedError',
]);
const INVALID_DOCUMENT_NAMES = new Set(['BSONError', 'BSONVersionError']);
const CONFIGURATION_NAMES = new Set([
  'MongoParseError',
  'MongoMissingCredentialsError',
  'MongoInvalidArgumentError',
  'MongoCompatibilityError',
]);
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'ResetPool', 'TransientTransactionError', 'SystemOverloadedError'];

interface DriverErrorShape {
  name?: unknown;
  code?: unknown;
  errorLabels?: unknown;
  errorLabelSet?: unknown;
  writeErrors?: unknown;
  errorResponse?: { writeErrors?: unknown };
}

function codesOf(error: DriverErrorShape): number[] {
  const codes: number[] = [];
  if (typeof error.code === 'number') codes.push(error.code);
  for (const list of [error.writeErrors, error.errorResponse?.writeErrors]) {
    if (!Array.isArray(list)) continue;
    for (const writeError of list) {
      const code = (writeError as { code?: unknown } | null)?.code;
      if (typeof code === 'number') codes.push(code);
    }
  }
  return codes;
}

function labelsOf(error: DriverErrorShape): string[] {
  const labels: string[] = [];
  if (Array.isArray(error.errorLabels)) labels.push(...error.errorLabels.filter((label) => typeof label === 'string'));
  if (error.errorLabelSet instanceof Set) for (const label of error.errorLabelSet) if (typeof label === 'string') labels.push(label);
  return labels;
}

/** Names of the error's class and its ancestors (`MongoServerSelectionError` is also a `MongoTimeoutError`). */
function namesOf(error: object): string[] {
  const names: string[] = [];
  if (typeof (error as DriverErrorShape).name === 'string') names.push((error as { name: string }).name);
  for (let proto = Object.getPrototypeOf(error); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

/**
 * Sorts a `mongodb` driver error (or a FerretDB answer) into what it means for the store. Looks at
 * codes, write errors of bulk writes, error labels and class names — never `instanceof`.
 */
export function mongoErrorKind(error: unknown): MongoErrorKind {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const shape = error as DriverErrorShape;
  const codes = codesOf(shape);
  if (codes.some((code) => DUPLICATE_KEY_CODES.has(code))) return 'duplicate-key';
  if (codes.some((code) => INVALID_DOCUMENT_CODES.has(code))) return 'invalid-document';
  if (codes.some((code) => CONFIGURATION_CODES.has(code))) return 'configuration';
  const names = namesOf(error);
  if (codes.some((code) => UNAVAILABLE_CODES.has(code)) || names.some((name) => UNAVAILABLE_NAMES.has(name))) return 'unavailable';
  if (labelsOf(shape).some((label) => UNAVAILABLE_LABELS.includes(label))) return 'unavailable';
  if (names.some((name) => INVALID_DOCUMENT_NAMES.has(name))) return 'invalid-document';
  if (names.some((name) => CONFIGURATION_NAMES.has(name))) return 'configuration';
  return 'unknown';
}

/** True for a duplicate-key error (code 11000, also inside the write errors of a bulk write). */
export function isDuplicateKeyError(error: unknown): boolean {
  return mongoErrorKind(error) === 'duplicate-key';
}

/**
 * Which unique index a duplicate-key error hit, when the server says so: MongoDB names it in the
 * message (`index: <name> dup key`) and in `keyPattern`; FerretDB 1.x names none (`undefined`).
 */
export function duplicateKeyIndex(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const keyPattern =
    (error as { keyPattern?: unknown }).keyPattern ??
    (error as DriverErrorShape & { errorResponse?: { keyPattern?: unknown } }).errorResponse?.keyPattern;
  if (typeof keyPattern === 'object' && keyPattern !== null) {
    const fields = Object.keys(keyPattern);
    if (fields.length === 1 && fields[0] === '_id') return '_id_';
  }
  const message = (error as { message?: unknown }).message;
  const match = typeof message === 'string' ? /index: (\S+) dup key/.exec(message) : null;
  return match?.[1];
}

/**
 * Wraps a driver error in the Eventfold error it stands for, keeping it as `cause`. `action` says
 * what the store was doing (`append to "user-1"`). Eventfold errors pass through unchanged.
 *
 * - network errors, server selection timeouts, shutdown and step-down codes → `StoreUnavailableError` (retryable)
 * - a document the server refuses (BadValue, too large, bad field names) → `ValidationError`
 * - authentication, bad URLs and invalid driver options → `ConfigurationError`
 * - anything else → `StoreUnavailableError`: the outcome is unknown, and retrying with the same event ids is safe
 */
export function classifyMongoError(error: unknown, action: string): EventfoldError {
  if (isEventfoldError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  switch (mongoErrorKind(error)) {
    case 'invalid-document':
      return new ValidationError(`[@eventfold/store-mongo] The server refused the document to ${action}`, [{ message: detail, path: [] }], {
        cause: error,
      });
    case 'configuration':
      return new ConfigurationError(`[@eventfold/store-mongo] Could not ${action}: ${detail}. Check the connection options.`, {
        cause: error,
      });
    case 'unavailable':
      return new StoreUnavailableError(
        `[@eventfold/store-mongo] Could not ${action}: the server is unreachable (${detail}). Retry later.`,
        {
          cause: error,
        },
      );
    default:
      return new StoreUnavailableError(`[@eventfold/store-mongo] Could not ${action}: ${detail}`, { cause: error });
  }
}
