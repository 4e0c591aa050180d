import { ConfigurationError, ValidationError } from '@eventfold/core';

/** Prefix of every message this package writes, so a log line says where it came from. */
export const PACKAGE = '[@eventfold/transport-kafka]';

/** Throws a ConfigurationError naming the option and the fix. */
export function configurationError(message: string): ConfigurationError {
  return new ConfigurationError(`${PACKAGE} ${message}`);
}

/** Throws unless `value` is an integer of at least `min`; returns `fallback` when it is absent. */
export function integerOption(value: number | undefined, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw configurationError(`Option \`${option}\` must be an integer >= ${min}, got ${String(value)}.`);
  }
  return value;
}

/** Throws unless `value` is a non-empty string; returns `fallback` when it is absent. */
export function nameOption(value: string | undefined, option: string, fallback?: string): string {
  const name = value ?? fallback;
  if (typeof name !== 'string' || name.length === 0) {
    throw configurationError(`Option \`${option}\` must be a non-empty string, got ${JSON.stringify(name)}.`);
  }
  return name;
}

/** Kafka's own rule (`Topic.validate`): 1–249 characters of ASCII letters, digits, `.`, `_` and `-`, and not `.` or `..`. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Throws a ValidationError unless `topic` is a name Kafka accepts. */
export function assertTopicName(topic: unknown, path: readonly (string | number)[] = ['topic']): asserts topic is string {
  if (typeof topic !== 'string' || !TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new ValidationError('Invalid topic', [
      {
        message: `expected 1-249 characters of letters, digits, '.', '_' and '-', got ${JSON.stringify(topic)}`,
        path,
      },
    ]);
  }
}

/** Throws unless `topics` is a non-empty array of valid topic names; returns a copy without duplicates. */
export function topicsOption(topics: readonly string[] | undefined, hint: string): string[] {
  if (!Array.isArray(topics) || topics.length === 0) {
    throw configurationError(`Option \`topics\` is required: ${hint}.`);
  }
  topics.forEach((topic, index) => {
    assertTopicName(topic, ['topics', index]);
  });
  return [...new Set(topics)];
}
