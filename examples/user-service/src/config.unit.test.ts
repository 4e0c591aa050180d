import { isConfigurationError, isStoreUnavailableError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { connectInfrastructure } from './infrastructure.js';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(isConfigurationError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('has defaults for everything, and treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: ' ' })).toEqual({
      port: 3001,
      host: '127.0.0.1',
      logLevel: 'info',
      emailDomainAllowlist: ['gmail.com', 'company.com'],
      reservationTimeoutMs: 60_000,
      argon2MemoryKiB: 19_456,
      argon2Passes: 2,
      scryptLog2Cost: 17,
      shutdownTimeoutMs: 10_000,
      adapters: { databaseSchema: 'user_service', mongoDatabase: 'user_service', topicPrefix: '' },
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      EMAIL_DOMAIN_ALLOWLIST: ' Example.org, company.com ,',
      RESERVATION_TIMEOUT_MS: '5000',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_PASSES: '1',
      SCRYPT_LOG2_COST: '15',
      SHUTDOWN_TIMEOUT_MS: '2000',
      DATABASE_URL: 'postgres://user:secret@db:5432/users',
      KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092',
      DATABASE_SCHEMA: 'users_v2',
      MONGO_DATABASE: 'users-v2',
      TOPIC_PREFIX: 'staging.',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'debug',
      emailDomainAllowlist: ['example.org', 'company.com'],
      argon2MemoryKiB: 1024,
      argon2Passes: 1,
      scryptLog2Cost: 15,
    });
    expect(config.adapters).toEqual({
      databaseUrl: 'postgres://user:secret@db:5432/users',
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9092'],
      databaseSchema: 'users_v2',
      mongoDatabase: 'users-v2',
      topicPrefix: 'staging.',
    });
  });

  it('names every bad variable at once, without echoing values', () => {
    const message = configError({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      EMAIL_DOMAIN_ALLOWLIST: 'gmail.com,not a domain',
      ARGON2_MEMORY_KIB: '512',
      ARGON2_PASSES: '1.5',
      SCRYPT_LOG2_COST: '30',
      DATABASE_URL: 'mysql://user:hunter2@db/users',
      KAFKA_BROKERS: 'kafka',
      DATABASE_SCHEMA: 'Users; drop table x',
      TOPIC_PREFIX: 'a b',
    });
    expect(message).toContain('[user-service] Invalid configuration');
    expect(message).toContain('PORT: must be a number');
    expect(message).toContain('LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent');
    expect(message).toContain('EMAIL_DOMAIN_ALLOWLIST.1: "not a domain" is not a domain name');
    expect(message).toContain('ARGON2_MEMORY_KIB: must be at least 1024');
    expect(message).toContain('ARGON2_PASSES: must be an integer');
    expect(message).toContain('SCRYPT_LOG2_COST: must be at most 20');
    expect(configError({ ARGON2_MEMORY_KIB: '2097152', ARGON2_PASSES: '0' })).toMatch(
      /ARGON2_MEMORY_KIB: must be at most 1048576\n {2}ARGON2_PASSES: must be at least 1/,
    );
    expect(message).toContain('DATABASE_URL: must be a postgres:// URL');
    expect(message).toContain('KAFKA_BROKERS.0: must be a comma-separated list of host:port');
    expect(message).toContain('DATABASE_SCHEMA: must be lower-case letters, digits and _ (at most 32)');
    expect(configError({ DATABASE_SCHEMA: 'a'.repeat(33) })).toContain(
      'DATABASE_SCHEMA: must be lower-case letters, digits and _ (at most 32)',
    );
    expect(message).toContain('TOPIC_PREFIX: must be letters, digits, ., _ and -');
    expect(message).not.toContain('hunter2');
  });
});

describe('connectInfrastructure', () => {
  const defaults = loadConfig({}).adapters;

  it('runs on the in-memory adapters when no URL is given', async () => {
    const infrastructure = await connectInfrastructure(defaults);
    expect(infrastructure.description).toMatch(/^in-memory event store .*, in-memory transport$/);
    await infrastructure.store.append('probe-1', [{ type: 'probe.made', data: {} }]);
    await infrastructure.close();
  });

  it('with both DATABASE_URL and MONGO_URL, wires PostgreSQL and says MONGO_URL was ignored', async () => {
    // Nothing listens on port 1: the start-up fails, but only after choosing PostgreSQL.
    const failure = await connectInfrastructure({
      ...defaults,
      databaseUrl: 'postgres://postgres@127.0.0.1:1/users',
      mongoUrl: 'mongodb://127.0.0.1:1/users',
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(isStoreUnavailableError(failure)).toBe(true);
  });
});
