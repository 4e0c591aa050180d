import { ConfigurationError } from '../errors.js';

/**
 * Option checks shared by the relay, consumer, projection and in-memory transport, so every
 * factory rejects bad wiring with the same kind of message, naming the option and the fix.
 */

/** Throws unless `value` is present. */
export function requireOption<T>(value: T | undefined | null, option: string, hint: string): T {
  if (value === undefined || value === null) {
    throw new ConfigurationError(`[@eventfold/core] Option \`${option}\` is required: ${hint}.`);
  }
  return value;
}

/** Throws unless `value` is an integer of at least `min`; returns `fallback` when it is absent. */
export function integerOption(value: number | undefined, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigurationError(`[@eventfold/core] Option \`${option}\` must be an integer >= ${min}, got ${String(value)}.`);
  }
  return value;
}

/** Throws unless `value` is a finite number of at least `min` (milliseconds, ratios); returns `fallback` when it is absent. */
export function numberOption(
  value: number | undefined,
  option: string,
  fallback: number,
  min: number,
  max: number = Number.POSITIVE_INFINITY,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `between ${min} and ${max}`;
    throw new ConfigurationError(`[@eventfold/core] Option \`${option}\` must be a number ${range}, got ${String(value)}.`);
  }
  return value;
}

/** Throws unless `value` is a non-empty string; returns `fallback` when it is absent. */
export function nameOption(value: string | undefined, option: string, fallback?: string): string {
  const name = value ?? fallback;
  if (typeof name !== 'string' || name.length === 0) {
    throw new ConfigurationError(`[@eventfold/core] Option \`${option}\` must be a non-empty string, got ${JSON.stringify(name)}.`);
  }
  return name;
}
