import { ConfigurationError } from '@eventfold/core';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

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
  PORT: integer(0, 65_535).default(3001),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  EMAIL_DOMAIN_ALLOWLIST: z
    .string()
    .transform(commaList)
    .pipe(
      z
        .array(
          z
            .string()
            .toLowerCase()
            .regex(DOMAIN, { error: (issue) => `"${String(issue.input)}" is not a domain name` }),
        )
        .min(1, { error: 'must list at least one domain' }),
    )
    .default(['gmail.com', 'company.com']),
  /** How long a username or email reservation may stay unconfirmed before another registration may take it over. */
  RESERVATION_TIMEOUT_MS: integer(1_000, 86_400_000).default(60_000),
  /** argon2id's memory cost in KiB: OWASP's 19456 (19 MiB) by default; tests may go as low as 1024. */
  ARGON2_MEMORY_KIB: integer(1_024, 1_048_576).default(19_456),
  /** argon2id's time cost: passes over the memory. */
  ARGON2_PASSES: integer(1, 10).default(2),
  /** scrypt's CPU/memory cost N, as log2, on a Node without argon2: 17 means N = 2^17 (128 MiB per hash with r = 8). */
  SCRYPT_LOG2_COST: integer(14, 20).default(17),
  SHUTDOWN_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  MONGO_URL: z.url({ protocol: /^mongodb(\+srv)?$/, error: 'must be a mongodb:// URL' }).optional(),
  KAFKA_BROKERS: z
    .string()
    .transform(commaList)
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, { error: 'must be a comma-separated list of host:port' })).min(1))
    .optional(),
  /**
   * PostgreSQL schema of the event store's tables (with `DATABASE_URL`). At most 32 characters: the
   * store names its prepared statements `eventfold_<schema>_<statement>`, and PostgreSQL cuts names at 63.
   */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,31}$/, { error: 'must be lower-case letters, digits and _ (at most 32), not starting with a digit' })
    .default('user_service'),
  /** MongoDB database of the event store's collections (with `MONGO_URL`). */
  MONGO_DATABASE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'must be letters, digits, _ and - (at most 63)' })
    .default('user_service'),
  /** Prepended to every topic name, e.g. `staging.` gives `staging.user.created`. */
  TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{0,100}$/, { error: 'must be letters, digits, ., _ and - (at most 100)' })
    .default(''),
});

/** The service's configuration, validated. */
export interface UserServiceConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  /** Lower-case email domains that may register. */
  readonly emailDomainAllowlist: readonly string[];
  readonly reservationTimeoutMs: number;
  /** argon2id's memory cost in KiB, for new password hashes. */
  readonly argon2MemoryKiB: number;
  /** argon2id's passes, for new password hashes. */
  readonly argon2Passes: number;
  /** scrypt's cost as log2 of N, for new password hashes on a Node without argon2. */
  readonly scryptLog2Cost: number;
  readonly shutdownTimeoutMs: number;
  /** Where the adapters connect; no URL means the embedded in-memory store and transport. */
  readonly adapters: AdapterConfig;
}

/** Which adapters to wire and where they connect. */
export interface AdapterConfig {
  readonly databaseUrl?: string;
  /** The PostgreSQL schema of the store. @defaultValue `'user_service'` */
  readonly databaseSchema: string;
  readonly mongoUrl?: string;
  /** The MongoDB database of the store. @defaultValue `'user_service'` */
  readonly mongoDatabase: string;
  readonly kafkaBrokers?: readonly string[];
  /** Prepended to every topic name. @defaultValue `''` */
  readonly topicPrefix: string;
}

/**
 * Reads and validates the configuration from environment variables. Empty values count as unset.
 *
 * @throws {@link ConfigurationError} naming every bad variable at once (never echoing values: some hold secrets).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): UserServiceConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = environment.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigurationError(`[user-service] Invalid configuration:\n${problems.join('\n')}`);
  }
  const value = parsed.data;
  return {
    port: value.PORT,
    host: value.HOST,
    logLevel: value.LOG_LEVEL,
    emailDomainAllowlist: value.EMAIL_DOMAIN_ALLOWLIST,
    reservationTimeoutMs: value.RESERVATION_TIMEOUT_MS,
    argon2MemoryKiB: value.ARGON2_MEMORY_KIB,
    argon2Passes: value.ARGON2_PASSES,
    scryptLog2Cost: value.SCRYPT_LOG2_COST,
    shutdownTimeoutMs: value.SHUTDOWN_TIMEOUT_MS,
    adapters: {
      ...(value.DATABASE_URL === undefined ? {} : { databaseUrl: value.DATABASE_URL }),
      ...(value.MONGO_URL === undefined ? {} : { mongoUrl: value.MONGO_URL }),
      ...(value.KAFKA_BROKERS === undefined ? {} : { kafkaBrokers: value.KAFKA_BROKERS }),
      databaseSchema: value.DATABASE_SCHEMA,
      mongoDatabase: value.MONGO_DATABASE,
      topicPrefix: value.TOPIC_PREFIX,
    },
  };
}
