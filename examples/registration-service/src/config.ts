import { ConfigurationError } from '@eventfold/core';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const commaList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** The environment variables the service reads, each checked with a message that says what is wrong. */
const environment = z.object({
  PORT: integer(0, 65_535).default(3002),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  SHUTDOWN_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  MONGO_URL: z.url({ protocol: /^mongodb(\+srv)?$/, error: 'must be a mongodb:// URL' }).optional(),
  KAFKA_BROKERS: z
    .string()
    .transform(commaList)
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, { error: 'must be a comma-separated list of host:port' })).min(1))
    .optional(),
});

/** The service's configuration, validated. */
export interface RegistrationServiceConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
  /** Where the adapters connect; all unset means the embedded in-memory store and transport. */
  readonly adapters: { readonly databaseUrl?: string; readonly mongoUrl?: string; readonly kafkaBrokers?: readonly string[] };
}

/**
 * Reads and validates the configuration from environment variables. Empty values count as unset.
 *
 * @throws {@link ConfigurationError} naming every bad variable at once (never echoing values: some hold secrets).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): RegistrationServiceConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = environment.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigurationError(`[registration-service] Invalid configuration:\n${problems.join('\n')}`);
  }
  const value = parsed.data;
  return {
    port: value.PORT,
    host: value.HOST,
    logLevel: value.LOG_LEVEL,
    shutdownTimeoutMs: value.SHUTDOWN_TIMEOUT_MS,
    adapters: {
      ...(value.DATABASE_URL === undefined ? {} : { databaseUrl: value.DATABASE_URL }),
      ...(value.MONGO_URL === undefined ? {} : { mongoUrl: value.MONGO_URL }),
      ...(value.KAFKA_BROKERS === undefined ? {} : { kafkaBrokers: value.KAFKA_BROKERS }),
    },
  };
}
