import { createRequire } from 'node:module';
import { isConfigurationError, isStoreUnavailableError, isValidationError, StoreUnavailableError } from '@eventfold/core';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyKafkaError, isRebalanceError, kafkaErrorType } from './classify-error.js';

// Real kafkajs error shapes: protocol errors built by kafkajs's own decoder helper (what a broker
// response turns into), its codec lookup, its error classes, and a real failed connection.
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error };
const { lookupCodec } = require('kafkajs/src/protocol/message/compression/index.js') as { lookupCodec: (type: number) => unknown };
type ErrorClass = new (message: unknown, options?: unknown) => Error;
const { KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSSASLAuthenticationError, KafkaJSRequestTimeoutError } =
  kafkajs as unknown as Record<
    'KafkaJSNumberOfRetriesExceeded' | 'KafkaJSConnectionError' | 'KafkaJSSASLAuthenticationError' | 'KafkaJSRequestTimeoutError',
    ErrorClass
  >;

const CODES = {
  MESSAGE_TOO_LARGE: 10,
  INVALID_TOPIC_EXCEPTION: 17,
  TOPIC_AUTHORIZATION_FAILED: 29,
  NOT_LEADER_FOR_PARTITION: 6,
  REQUEST_TIMED_OUT: 7,
  NOT_COORDINATOR_FOR_GROUP: 16,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_PARTITIONS: 37,
} as const;

const context = { operation: 'publish', topic: 'user.created' };

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('classifyKafkaError', () => {
  it('maps a request Kafka refuses as such to a ValidationError naming the topic and the protocol error', () => {
    for (const code of [CODES.MESSAGE_TOO_LARGE, CODES.INVALID_TOPIC_EXCEPTION, CODES.INVALID_PARTITIONS]) {
      const driver = createErrorFromCode(code);
      const error = classifyKafkaError(driver, context);
      expect(isValidationError(error), String(code)).toBe(true);
      expect(error.retryable).toBe(false);
      expect(error.cause).toBe(driver);
      expect(error.message).toContain('[@eventfold/transport-kafka]');
      expect(error.message).toContain('"user.created"');
      expect(error.message).toContain(kafkaErrorType(driver));
    }
  });

  it('maps authorisation, authentication and missing codecs to a ConfigurationError', () => {
    const refused = [
      createErrorFromCode(CODES.TOPIC_AUTHORIZATION_FAILED),
      new KafkaJSSASLAuthenticationError('SASL PLAIN authentication failed: bad credentials'),
      thrownBy(() => lookupCodec(2)),
    ];
    for (const driver of refused) {
      const error = classifyKafkaError(driver, context);
      expect(isConfigurationError(error), String(driver)).toBe(true);
      expect(error.cause).toBe(driver);
    }
  });

  it('maps retriable protocol errors, timeouts and exhausted retries to a retryable StoreUnavailableError', () => {
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:59092', { code: 'ECONNREFUSED' });
    const transient = [
      createErrorFromCode(CODES.NOT_LEADER_FOR_PARTITION),
      createErrorFromCode(CODES.REQUEST_TIMED_OUT),
      connection,
      new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'),
      new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 5, retryTime: 3000 }),
    ];
    for (const driver of transient) {
      const error = classifyKafkaError(driver, context);
      expect(isStoreUnavailableError(error), String(driver)).toBe(true);
      expect(error.retryable).toBe(true);
      expect(error.cause).toBe(driver);
    }
  });

  it('looks through kafkajs wrappers for the protocol error', () => {
    const tooLarge = createErrorFromCode(CODES.MESSAGE_TOO_LARGE);
    const wrapped = new KafkaJSNumberOfRetriesExceeded(tooLarge, { retryCount: 0, retryTime: 100 });
    expect(kafkaErrorType(wrapped)).toBe('MESSAGE_TOO_LARGE');
    expect(isValidationError(classifyKafkaError(wrapped, context))).toBe(true);
  });

  it('classifies a real failed connection (nothing listens on port 1) as unavailable', async () => {
    const client = new kafkajs.Kafka({
      brokers: ['127.0.0.1:1'],
      logLevel: kafkajs.logLevel.NOTHING,
      connectionTimeout: 500,
      retry: { retries: 0 },
    });
    const admin = client.admin();
    const failure = await admin.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = classifyKafkaError(failure, { operation: 'ensureTopics' });
    expect(isStoreUnavailableError(error)).toBe(true);
    expect(error.message).toMatch(/ECONNREFUSED|Connection/);
  });

  it('passes Eventfold errors through unchanged', () => {
    const error = new StoreUnavailableError('already ours');
    expect(classifyKafkaError(error, context)).toBe(error);
  });
});

describe('isRebalanceError', () => {
  it('recognises the errors that mean the group moved on, wrapped or not', () => {
    for (const code of [CODES.REBALANCE_IN_PROGRESS, CODES.ILLEGAL_GENERATION, CODES.UNKNOWN_MEMBER_ID, CODES.NOT_COORDINATOR_FOR_GROUP]) {
      expect(isRebalanceError(createErrorFromCode(code)), String(code)).toBe(true);
      expect(isRebalanceError(new KafkaJSNumberOfRetriesExceeded(createErrorFromCode(code), { retryCount: 1, retryTime: 1 }))).toBe(true);
    }
    expect(isRebalanceError(createErrorFromCode(CODES.REQUEST_TIMED_OUT))).toBe(false);
    expect(isRebalanceError(new Error('handler failed'))).toBe(false);
  });
});
