import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  ConfigurationError,
  DomainError,
  DuplicateEventError,
  EventfoldError,
  type EventfoldErrorCode,
  isConcurrencyError,
  isConfigurationError,
  isDomainError,
  isDuplicateEventError,
  isEventfoldError,
  isStoreUnavailableError,
  isUnknownEventTypeError,
  isValidationError,
  StoreUnavailableError,
  UnknownEventTypeError,
  ValidationError,
} from './errors.js';

const guards: Record<EventfoldErrorCode, (error: unknown) => boolean> = {
  CONCURRENCY: isConcurrencyError,
  VALIDATION: isValidationError,
  DOMAIN: isDomainError,
  DUPLICATE_EVENT: isDuplicateEventError,
  UNKNOWN_EVENT_TYPE: isUnknownEventTypeError,
  STORE_UNAVAILABLE: isStoreUnavailableError,
  CONFIGURATION: isConfigurationError,
};
const codes = Object.keys(guards) as EventfoldErrorCode[];

// One instance of each class, with the code and retryability it must have.
const examples: [EventfoldError, EventfoldErrorCode, boolean][] = [
  [new ConcurrencyError('user-1', 3, 5), 'CONCURRENCY', true],
  [new ValidationError('Command "x" is invalid', [{ message: 'Required', path: ['email'] }]), 'VALIDATION', false],
  [new DomainError('Username is taken'), 'DOMAIN', false],
  [new DuplicateEventError('evt-1', 'user-2'), 'DUPLICATE_EVENT', false],
  [new UnknownEventTypeError('user.renamed'), 'UNKNOWN_EVENT_TYPE', false],
  [new StoreUnavailableError('connection refused'), 'STORE_UNAVAILABLE', true],
  [new ConfigurationError('pool is required'), 'CONFIGURATION', false],
];

describe('errors', () => {
  it.each(examples)('%s has its stable code, retryability, name, and is an Error and an EventfoldError', (error, code, retryable) => {
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.name).toBe(error.constructor.name);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(EventfoldError);
    expect(error.message.length).toBeGreaterThan(0);
    expect(isEventfoldError(error)).toBe(true);
    for (const other of codes) expect(guards[other](error), `guard of ${other}`).toBe(other === code);
  });

  it('carries context: ConcurrencyError, DuplicateEventError, UnknownEventTypeError, ValidationError', () => {
    const concurrency = new ConcurrencyError('user-1', 'no-stream', 2);
    expect([concurrency.streamId, concurrency.expected, concurrency.actual]).toEqual(['user-1', 'no-stream', 2]);
    expect(concurrency.message).toContain('"user-1"');
    expect(concurrency.message).toContain('version 2');
    const duplicate = new DuplicateEventError('evt-1', 'user-2');
    expect([duplicate.eventId, duplicate.streamId]).toEqual(['evt-1', 'user-2']);
    expect(new UnknownEventTypeError('user.renamed').eventType).toBe('user.renamed');
    const validation = new ValidationError('Invalid', [
      { message: 'Required', path: ['data', 'email'] },
      { message: 'Too short', path: ['data', 'tags', 1] },
      { message: 'Bad shape', path: [] },
    ]);
    expect(validation.issues).toHaveLength(3);
    expect(validation.message).toBe('Invalid: data.email: Required; data.tags.1: Too short; Bad shape');
    expect(new ValidationError('Invalid', []).message).toBe('Invalid');
  });

  it('keeps the cause when given, and has none otherwise', () => {
    const driverError = Object.assign(new Error('duplicate key'), { code: '23505' });
    const wrapped = new StoreUnavailableError('[@eventfold/store-postgres] Query failed', { cause: driverError });
    expect(wrapped.cause).toBe(driverError);
    expect('cause' in new StoreUnavailableError('no cause')).toBe(false);
    expect(new ConcurrencyError('s-1', 1, 2, { cause: 'x' }).cause).toBe('x');
  });

  it('lets applications subclass DomainError per rule', () => {
    class UsernameTaken extends DomainError {
      constructor(readonly username: string) {
        super(`Username ${username} is taken`);
      }
    }
    const error = new UsernameTaken('ada');
    expect(error.name).toBe('UsernameTaken');
    expect(error.code).toBe('DOMAIN');
    expect(isDomainError(error)).toBe(true);
    expect(error).toBeInstanceOf(DomainError);
  });

  it('guards recognise errors from another copy of the package: a different class with the same registry brand', () => {
    // What a second installed copy of @eventfold/core would throw: another class, the same Symbol.for brand.
    class ForeignError extends Error {
      constructor(readonly code: EventfoldErrorCode) {
        super(`foreign ${code}`);
        Object.defineProperty(this, Symbol.for('eventfold.EventfoldError'), { value: true });
      }
    }
    for (const code of codes) {
      const foreign = new ForeignError(code);
      expect(foreign).not.toBeInstanceOf(EventfoldError);
      expect(isEventfoldError(foreign)).toBe(true);
      for (const other of codes) expect(guards[other](foreign), `${other} guard on a foreign ${code}`).toBe(other === code);
    }
  });

  it('law: guards reject anything without the brand, whatever its code or shape', () => {
    const lookalike = fc.record({ code: fc.oneof(fc.constantFrom(...codes), fc.string()), message: fc.string(), name: fc.string() });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          lookalike,
          lookalike.map((fields) => Object.assign(new Error(fields.message), fields)),
        ),
        (value) => {
          expect(isEventfoldError(value)).toBe(false);
          for (const code of codes) expect(guards[code](value)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
    expect(isEventfoldError({ code: 'CONCURRENCY', [Symbol.for('eventfold.EventfoldError')]: 'yes' })).toBe(false);
  });

  it('keeps the brand out of enumeration and serialisation', () => {
    const error = new ConcurrencyError('user-1', 3, 5);
    expect(Object.getOwnPropertySymbols(error)).toEqual([Symbol.for('eventfold.EventfoldError')]);
    expect(Object.keys(error)).not.toContain(Symbol.for('eventfold.EventfoldError'));
    expect(Object.getOwnPropertyDescriptor(error, Symbol.for('eventfold.EventfoldError'))?.enumerable).toBe(false);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'CONCURRENCY',
      retryable: true,
      name: 'ConcurrencyError',
      streamId: 'user-1',
      expected: 3,
      actual: 5,
    });
  });
});
