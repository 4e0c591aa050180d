import { ConfigurationError, type EventfoldError, isEventfoldError, StoreUnavailableError, ValidationError } from '@eventfold/core';
import { PACKAGE } from './options.js';

/** What the failed call was doing, for the error's message. */
export interface KafkaErrorContext {
  /** e.g. `publish`, `ensureTopics`, `commit`, `lag`. */
  readonly operation: string;
  readonly topic?: string;
}

/** The fields of a kafkajs error we read. kafkajs errors are plain `Error` subclasses with these extra properties. */
interface KafkaJsErrorShape {
  name?: unknown;
  message?: unknown;
  /** Protocol error name, e.g. `MESSAGE_TOO_LARGE`, on `KafkaJSProtocolError`. */
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

// Protocol errors that blame the request itself: sending it again cannot succeed.
const VALIDATION_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REPLICA_ASSIGNMENT',
  'INVALID_CONFIG',
  'POLICY_VIOLATION',
  'OFFSET_METADATA_TOO_LARGE',
]);

// Protocol errors that blame the setup: credentials, ACLs, versions, settings.
const CONFIGURATION_TYPES = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'SECURITY_DISABLED',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'INVALID_REQUIRED_ACKS',
  'INVALID_SESSION_TIMEOUT',
  'INVALID_GROUP_ID',
  'INCONSISTENT_GROUP_PROTOCOL',
  'GROUP_MAX_SIZE_REACHED',
  'TOPIC_DELETION_DISABLED',
]);

// kafkajs's own (non-protocol) errors that no retry will fix.
const CONFIGURATION_NAMES = new Set(['KafkaJSSASLAuthenticationError', 'KafkaJSServerDoesNotSupportApiKey', 'KafkaJSNotImplemented']);

// The coordinator moved the group on: this member's view of its partitions is out of date.
const REBALANCE_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/** The error and its causes, outermost first (kafkajs wraps the real failure in `KafkaJSNumberOfRetriesExceeded` and the like). */
function chainOf(error: unknown): KafkaJsErrorShape[] {
  const chain: KafkaJsErrorShape[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && chain.length < 10 && !chain.includes(current as KafkaJsErrorShape)) {
    chain.push(current as KafkaJsErrorShape);
    current = (current as KafkaJsErrorShape).cause;
  }
  return chain;
}

/** The protocol error type (e.g. `MESSAGE_TOO_LARGE`) anywhere in the cause chain. */
export function kafkaErrorType(error: unknown): string | undefined {
  const withType = chainOf(error).find((link) => typeof link.type === 'string');
  return withType?.type as string | undefined;
}

/** True for the errors that mean a rebalance started or this member was dropped from the group: stop handing out batches, rejoin. */
export function isRebalanceError(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type !== undefined && REBALANCE_TYPES.has(type);
}

function describe(error: unknown): string {
  const chain = chainOf(error);
  const root = chain[chain.length - 1] ?? {};
  const type = kafkaErrorType(error);
  const message = typeof root.message === 'string' ? root.message : String(error);
  const name = typeof root.name === 'string' ? root.name : 'Error';
  return type === undefined ? `${name}: ${message}` : `${type}: ${message}`;
}

/**
 * Maps an error from kafkajs onto Eventfold's error classes, keeping the original as `cause`:
 * - a request Kafka refuses as such (too large, invalid topic or config) → `ValidationError`;
 * - authentication, authorisation, unsupported versions, codecs or settings → `ConfigurationError`;
 * - everything else — connection failures, timeouts, leader elections, retries exhausted — →
 *   `StoreUnavailableError` (retryable): the broker is down, restarting or busy, and trying later
 *   may succeed. The core consumer fails (and so redelivers) a batch on such an error instead of
 *   dead-lettering a healthy message.
 *
 * Eventfold errors pass through unchanged.
 */
export function classifyKafkaError(error: unknown, context: KafkaErrorContext): EventfoldError {
  if (isEventfoldError(error)) return error;
  const chain = chainOf(error);
  const type = kafkaErrorType(error);
  const where = context.topic === undefined ? context.operation : `${context.operation} (topic "${context.topic}")`;
  const options = { cause: error };

  if (type !== undefined && VALIDATION_TYPES.has(type)) {
    return new ValidationError(
      `${PACKAGE} Kafka rejected ${where}`,
      [{ message: describe(error), path: context.topic === undefined ? [] : ['topic'] }],
      options,
    );
  }
  if ((type !== undefined && CONFIGURATION_TYPES.has(type)) || chain.some((link) => CONFIGURATION_NAMES.has(String(link.name)))) {
    return new ConfigurationError(
      `${PACKAGE} Kafka refused ${where}: ${describe(error)}. Check the client settings (brokers, ssl, sasl, compression codecs) and the broker's ACLs.`,
      options,
    );
  }
  return new StoreUnavailableError(`${PACKAGE} Kafka is unavailable for ${where}: ${describe(error)}`, options);
}
