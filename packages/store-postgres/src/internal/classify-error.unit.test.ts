import {
  isConcurrencyError,
  isConfigurationError,
  isDuplicateEventError,
  isEventfoldError,
  isStoreUnavailableError,
  isValidationError,
  StoreUnavailableError,
} from '@eventfold/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { breaksConnection, classifyError } from './classify-error.js';

// Driver errors as pg 8.23 raised them against PostgreSQL 15 (captured from real failures:
// fields copied from the DatabaseError, Error and Node socket error objects).
function databaseError(message: string, fields: Record<string, string>, length = 100): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(message, length, 'error'), { severity: 'ERROR', ...fields });
}

const uniqueEventId = databaseError('duplicate key value violates unique constraint "events_event_id_key"', {
  code: '23505',
  detail: 'Key (event_id)=(0190a-e1) already exists.',
  schema: 'ef_contract',
  table: 'events',
  constraint: 'events_event_id_key',
  file: 'nbtinsert.c',
  line: '664',
  routine: '_bt_check_unique',
});
const concurrency = databaseError('stream is not at the expected version', {
  code: 'ZE001',
  detail: '3',
  where: 'PL/pgSQL function ef_contract.append_events(text,bigint,text[],text[],jsonb,jsonb,integer[]) line 44 at RAISE',
  file: 'pl_exec.c',
  line: '3907',
  routine: 'exec_stmt_raise',
});
const duplicateElsewhere = databaseError('event id already stored elsewhere', { code: 'ZE002', detail: 'order-42:created' });
const movedPast = databaseError('stream was appended to by a later transaction', { code: 'ZE003', detail: '7' });
const appendAfterWrite = databaseError(
  'append in a transaction that already wrote: call ef.begin_appends() first in the transaction, or use store.transaction()',
  { code: 'ZE006' },
);
const tooMany = databaseError('too many events in one transaction', { code: 'ZE005', detail: '1048577' });
const nulInJson = databaseError('unsupported Unicode escape sequence', {
  code: '22P05',
  detail: '\\u0000 cannot be converted to text.',
  where: 'JSON data, line 1: "\\u0000...',
  file: 'jsonfuncs.c',
  routine: 'json_ereport_error',
});
const missingTable = databaseError('relation "nope.events" does not exist', { code: '42P01', position: '15', routine: 'parserOpenTable' });
const deadlock = databaseError('deadlock detected', {
  code: '40P01',
  detail: 'Process 4837 waits for ShareLock on transaction 88307; blocked by process 4838.',
  hint: 'See server log for query details.',
});
const serialization = databaseError('could not serialize access due to concurrent update', { code: '40001' });
const terminated = Object.assign(databaseError('terminating connection due to administrator command', { code: '57P01' }), {
  severity: 'FATAL',
});
const tooManyConnections = databaseError('sorry, too many clients already', { code: '53300' });
const cannotConnectNow = databaseError('the database system is starting up', { code: '57P03' });
const adminShutdown = databaseError('terminating connection due to administrator command', { code: '57P01' });
const badPassword = databaseError('password authentication failed for user "app"', { code: '28P01' });
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:55432'), {
  errno: -111,
  code: 'ECONNREFUSED',
  syscall: 'connect',
  address: '127.0.0.1',
  port: 55432,
});
const reset = Object.assign(new Error('read ECONNRESET'), { errno: -104, code: 'ECONNRESET', syscall: 'read' });
const terminatedUnexpectedly = new Error('Connection terminated unexpectedly');
const poolTimeout = new Error('timeout exceeded when trying to connect');
const poolEnded = new Error('Cannot use a pool after calling end on the pool');

const append = { operation: 'append', streamId: 'order-42', expected: 2 } as const;

describe('classifyError', () => {
  it('maps the append function’s concurrency error to ConcurrencyError with the actual version', () => {
    const error = classifyError(concurrency, append);
    expect(isConcurrencyError(error)).toBe(true);
    expect(error).toMatchObject({ streamId: 'order-42', expected: 2, actual: 3, retryable: true, cause: concurrency });
  });

  it('maps a stream moved past an open transaction to ConcurrencyError', () => {
    expect(classifyError(movedPast, append)).toMatchObject({ code: 'CONCURRENCY', actual: 7 });
  });

  it('maps a duplicate id, found by the function or by the unique index, to DuplicateEventError with the id', () => {
    for (const [driver, id] of [
      [duplicateElsewhere, 'order-42:created'],
      [uniqueEventId, '0190a-e1'],
    ] as const) {
      const error = classifyError(driver, append);
      expect(isDuplicateEventError(error)).toBe(true);
      expect(error).toMatchObject({ eventId: id, streamId: 'order-42', retryable: false, cause: driver });
    }
  });

  it('maps data PostgreSQL rejects (NUL in JSON, too many events per transaction) to ValidationError', () => {
    for (const driver of [nulInJson, tooMany]) {
      const error = classifyError(driver, append);
      expect(isValidationError(error)).toBe(true);
      expect(error.retryable).toBe(false);
    }
  });

  it('maps transient server conditions to a retryable StoreUnavailableError', () => {
    for (const driver of [deadlock, serialization, terminated, tooManyConnections, cannotConnectNow, adminShutdown]) {
      const error = classifyError(driver, { operation: 'append' });
      expect(isStoreUnavailableError(error), String(driver.code)).toBe(true);
      expect(error.retryable).toBe(true);
      expect(error.cause).toBe(driver);
      expect(error.message).toContain('[@eventfold/store-postgres] append failed');
    }
  });

  it('maps network failures and pool exhaustion to StoreUnavailableError', () => {
    for (const driver of [refused, reset, terminatedUnexpectedly, poolTimeout]) {
      expect(isStoreUnavailableError(classifyError(driver, { operation: 'readAll' })), driver.message).toBe(true);
    }
    expect(classifyError(poolTimeout, { operation: 'readAll' }).message).toContain('connectionTimeoutMillis');
  });

  it('maps a missing schema, bad credentials and an ended pool to ConfigurationError', () => {
    for (const driver of [missingTable, badPassword, poolEnded, appendAfterWrite]) {
      const error = classifyError(driver, { operation: 'readAll' });
      expect(isConfigurationError(error), driver.message).toBe(true);
      expect(error.retryable).toBe(false);
    }
    expect(classifyError(missingTable, { operation: 'readAll' }).message).toContain('migrate()');
  });

  it('passes Eventfold errors through and wraps anything else, keeping it as cause', () => {
    const ours = new StoreUnavailableError('already typed');
    expect(classifyError(ours, append)).toBe(ours);
    const odd = classifyError('a string', append);
    expect(isEventfoldError(odd)).toBe(true);
    expect(odd.cause).toBe('a string');
  });
});

describe('breaksConnection', () => {
  it('closes connections after socket errors and server-side terminations, keeps them after statement errors', () => {
    for (const driver of [refused, reset, terminatedUnexpectedly, terminated, cannotConnectNow]) {
      expect(breaksConnection(driver), driver.message).toBe(true);
    }
    for (const driver of [concurrency, uniqueEventId, nulInJson, deadlock, serialization, missingTable]) {
      expect(breaksConnection(driver), driver.message).toBe(false);
    }
  });
});
