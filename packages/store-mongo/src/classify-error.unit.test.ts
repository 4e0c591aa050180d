import { isConfigurationError, isStoreUnavailableError, isValidationError, ValidationError } from '@eventfold/core';
import { classifyMongoError, mongoErrorKind } from '@eventfold/store-mongo';
import {
  MongoBulkWriteError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import { describe, expect, it } from 'vitest';
import { duplicateKeyIndex } from './classify-error.js';

// Errors built with the driver's own classes from responses recorded against FerretDB 1.24.2 (and,
// where FerretDB differs, MongoDB 7's documented response), so the shapes are the real ones.
const ferretDuplicate = { index: 0, code: 11000, errmsg: 'E11000 duplicate key error collection: shop.eventfold_commits' };
const mongoDuplicate = {
  ok: 0,
  code: 11000,
  codeName: 'DuplicateKey',
  errmsg: 'E11000 duplicate key error collection: shop.eventfold_commits index: eventfold_stream_version dup key: { s: "order-1", v: 1 }',
  keyPattern: { s: 1, v: 1 },
  keyValue: { s: 'order-1', v: 1 },
};
const mongoIdDuplicate = {
  ok: 0,
  code: 11000,
  codeName: 'DuplicateKey',
  errmsg: 'E11000 duplicate key error collection: shop.eventfold_commits index: _id_ dup key: { _id: 42 }',
  keyPattern: { _id: 1 },
  keyValue: { _id: 42 },
};

describe('classifyMongoError', () => {
  it('recognises duplicate keys from insertOne and from the write errors of a bulk write, on both servers', () => {
    expect(mongoErrorKind(new MongoServerError(ferretDuplicate))).toBe('duplicate-key');
    expect(mongoErrorKind(new MongoServerError(mongoDuplicate))).toBe('duplicate-key');
    const bulk = new MongoBulkWriteError(
      { message: ferretDuplicate.errmsg, code: 11000, writeErrors: [{ index: 1, code: 11000, errmsg: ferretDuplicate.errmsg }] } as never,
      {} as never,
    );
    expect(mongoErrorKind(bulk)).toBe('duplicate-key');
  });

  it('names the index of a duplicate key when MongoDB says it, and nothing for FerretDB', () => {
    expect(duplicateKeyIndex(new MongoServerError(mongoDuplicate))).toBe('eventfold_stream_version');
    expect(duplicateKeyIndex(new MongoServerError(mongoIdDuplicate))).toBe('_id_');
    expect(duplicateKeyIndex(new MongoServerError(ferretDuplicate))).toBeUndefined();
  });

  it('maps network errors, server selection timeouts, a closed client and shutdown codes to a retryable StoreUnavailableError', () => {
    const network = new MongoNetworkError('connection 1 to 127.0.0.1:57017 closed');
    const unavailable = [
      network,
      new MongoNetworkTimeoutError('connection 2 to 127.0.0.1:57017 timed out'),
      new MongoServerSelectionError('connect ECONNREFUSED 127.0.0.1:57017', { type: 'Unknown', servers: new Map() } as never),
      new MongoNotConnectedError('Client must be connected before running operations'),
      new MongoServerError({ ok: 0, code: 91, codeName: 'ShutdownInProgress', errmsg: 'The server is in quiesce mode and will shut down' }),
      new MongoServerError({ ok: 0, code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' }),
      new MongoServerError({ ok: 0, code: 1, errmsg: 'pool reset', errorLabels: ['ResetPool'] }),
    ];
    for (const error of unavailable) {
      expect(mongoErrorKind(error), error.message).toBe('unavailable');
      const classified = classifyMongoError(error, 'append to "order-1"');
      expect(isStoreUnavailableError(classified)).toBe(true);
      expect(classified.retryable).toBe(true);
      expect(classified.cause).toBe(error);
      expect(classified.message).toContain('[@eventfold/store-mongo]');
      expect(classified.message).toContain('append to "order-1"');
    }
  });

  it('maps documents FerretDB or MongoDB refuse to a ValidationError', () => {
    const refused = [
      new MongoServerError({ index: 0, code: 2, errmsg: 'invalid value: { "x": [ [ 1 ] ] } (nested arrays are not supported)' }),
      new MongoServerError({ index: 0, code: 2, errmsg: `invalid key: "a.b" (key must not contain '.' sign)` }),
      new MongoServerError({ ok: 0, code: 10334, codeName: 'BSONObjectTooLarge', errmsg: 'object to insert too large' }),
    ];
    for (const error of refused) {
      const classified = classifyMongoError(error, 'save a snapshot');
      expect(isValidationError(classified), error.message).toBe(true);
      expect((classified as ValidationError).issues[0]?.message).toBe(error.message);
      expect(classified.cause).toBe(error);
    }
  });

  it('maps bad URLs and failed authentication to a ConfigurationError', () => {
    for (const error of [
      new MongoParseError('Invalid scheme, expected connection string to start with "mongodb://"'),
      new MongoServerError({ ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' }),
    ]) {
      expect(isConfigurationError(classifyMongoError(error, 'connect'))).toBe(true);
    }
  });

  it('wraps anything else as a StoreUnavailableError with the cause, and passes Eventfold errors through', () => {
    const odd = new MongoServerError({ ok: 0, code: 12345, errmsg: 'something new' });
    expect(mongoErrorKind(odd)).toBe('unknown');
    const classified = classifyMongoError(odd, 'read all streams');
    expect(isStoreUnavailableError(classified)).toBe(true);
    expect(classified.cause).toBe(odd);
    expect(mongoErrorKind('not an error')).toBe('unknown');
    const own = new ValidationError('bad', []);
    expect(classifyMongoError(own, 'anything')).toBe(own);
  });
});
