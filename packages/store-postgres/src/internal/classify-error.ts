import {
  ConcurrencyError,
  ConfigurationError,
  DuplicateEventError,
  type EventfoldError,
  type ExpectedVersion,
  isEventfoldError,
  StoreUnavailableError,
  ValidationError,
} from '@eventfold/core';
import { SQLSTATE } from './migrations.js';

/** What the failed call was doing, for the error's message and fields. */
export interface ErrorContext {
  /** The store operation, e.g. `append` or `checkpoints.put`. */
  readonly operation: string;
  readonly streamId?: string;
  readonly expected?: ExpectedVersion;
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  constraint?: unknown;
}

const PACKAGE = '[@eventfold/store-postgres]';

// Node socket errors: the server is down, restarting or unreachable.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOTCONN',
]);

// Errors `pg` and `pg-pool` raise themselves, without a SQLSTATE.
const DRIVER_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Client has already been connected',
  'Query read timeout',
];

function sqlState(error: DriverError): string | undefined {
  return typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) ? error.code : undefined;
}

function messageOf(error: DriverError): string {
  return typeof error.message === 'string' ? error.message : String(error);
}

/**
 * True when the connection that raised `error` can no longer be trusted: the socket failed or
 * the server ended the session. Such a connection is closed instead of returned to the pool.
 */
export function breaksConnection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const state = sqlState(error as DriverError);
  if (state === undefined) return !isEventfoldError(error);
  return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03';
}

/**
 * True when an append statement failed having written nothing and `append_events` has the answer:
 * a unique violation is a repeat, an id stored elsewhere, or a writer that committed after the
 * statement's snapshot; an out-of-range value may be a transaction id past the positions' range.
 */
export function leftToAppendFunction(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const state = sqlState(error as DriverError);
  return state === '23505' || state === '22003';
}

/**
 * Maps an error from `pg` (or from our SQL functions) to a typed Eventfold error, keeping the
 * original as `cause`. Eventfold errors pass through unchanged.
 */
export function classifyError(error: unknown, context: ErrorContext): EventfoldError {
  if (isEventfoldError(error)) return error;
  const driver = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as DriverError;
  const options = { cause: error };
  const state = sqlState(driver);
  const message = messageOf(driver);
  const detail = typeof driver.detail === 'string' ? driver.detail : '';
  const streamId = context.streamId ?? '';
  const expected = context.expected ?? 'any';
  const failed = `${PACKAGE} ${context.operation} failed`;

  switch (state) {
    case SQLSTATE.concurrency:
    case SQLSTATE.streamMovedPast:
      return new ConcurrencyError(streamId, expected, Number(detail), options);
    case SQLSTATE.duplicateEvent:
      return new DuplicateEventError(detail, streamId, options);
    case SQLSTATE.tooManyEvents:
      return new ValidationError(
        `${failed}: too many events in one transaction`,
        [{ message: `one transaction can append at most 1,048,576 events, this one would hold ${detail}`, path: ['events'] }],
        options,
      );
    case SQLSTATE.appendAfterWrite:
      return new ConfigurationError(
        `${failed}: the transaction wrote before its first append. Run appends in store.transaction(), or call <schema>.begin_appends() first in your transaction.`,
        options,
      );
    case SQLSTATE.positionsExhausted:
      return new ConfigurationError(`${failed}: transaction id ${detail} no longer fits in a position; see the README (limits).`, options);
    case '23505': {
      const id = /^Key \(event_id\)=\((.*)\) already exists\.$/s.exec(detail)?.[1];
      if (driver.constraint === 'events_event_id_key' && id !== undefined) return new DuplicateEventError(id, streamId, options);
      return new StoreUnavailableError(`${failed}: a concurrent write conflicted (${message}). Retry.`, options);
    }
    case undefined:
      break;
    default: {
      const unavailable = classifyUnavailable(state);
      if (unavailable !== undefined) return new StoreUnavailableError(`${failed}: ${unavailable} (${message}).`, options);
      if (state.startsWith('22') || state === '54000' || state === '54001') {
        return new ValidationError(`${failed}: PostgreSQL rejected the value`, [{ message, path: [] }], options);
      }
      if (state === '3F000' || state === '42P01' || state === '42883') {
        return new ConfigurationError(
          `${failed}: the schema is missing or out of date (${message}). Call migrate(), or apply migrationSql().`,
          options,
        );
      }
      if (state.startsWith('28') || state === '42501' || state === '3D000') {
        return new ConfigurationError(`${failed}: ${message}. Check the connection settings and the role's privileges.`, options);
      }
      return new StoreUnavailableError(`${failed}: unexpected database error ${state} (${message}).`, options);
    }
  }

  if (message.includes('after calling end on the pool')) {
    return new ConfigurationError(`${failed}: the pool was ended. Keep it open while the store is in use.`, options);
  }
  if (message.includes('timeout exceeded when trying to connect')) {
    return new StoreUnavailableError(
      `${failed}: no connection became free in time (pool exhausted or server unreachable). Raise the pool's max or connectionTimeoutMillis, or hold connections for less time.`,
      options,
    );
  }
  const code = typeof driver.code === 'string' ? driver.code : undefined;
  if ((code !== undefined && NETWORK_CODES.has(code)) || DRIVER_CONNECTION_MESSAGES.some((text) => message.includes(text))) {
    return new StoreUnavailableError(`${failed}: cannot reach PostgreSQL (${code ?? message}).`, options);
  }
  return new StoreUnavailableError(`${failed}: ${message}`, options);
}

function classifyUnavailable(state: string): string | undefined {
  if (state.startsWith('08')) return 'the connection failed';
  if (state === '40001') return 'serialization failure, retry the operation';
  if (state === '40P01') return 'deadlock detected, retry the operation';
  if (state === '55P03') return 'lock not available';
  if (state === '57014') return 'statement cancelled or timed out';
  if (state.startsWith('57P')) return 'the server is shutting down or restarting';
  if (state.startsWith('53')) return 'the server is out of resources';
  if (state === '25006') return 'the server is read-only (a standby, or in recovery)';
  return undefined;
}
