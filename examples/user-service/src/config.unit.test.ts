import { isConfigurationError } from '@eventfold/core';
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
      scryptLog2Cost: 17,
      shutdownTimeoutMs: 10_000,
      adapters: {},
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      EMAIL_DOMAIN_ALLOWLIST: ' Example.org, company.com ,',
      RESERVATION_TIMEOUT_MS: '5000',
      SCRYPT_LOG2_COST: '15',
      SHUTDOWN_TIMEOUT_MS: '2000',
      DATABASE_URL: 'postgres://user:secret@db:5432/users',
      KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092',
    });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', logLevel: 'debug', emailDomainAllowlist: ['example.org', 'company.com'] });
    expect(config.adapters).toEqual({
      databaseUrl: 'postgres://user:secret@db:5432/users',
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9092'],
    });
  });

  it('names every bad variable at once, without echoing values', () => {
    const message = configError({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      EMAIL_DOMAIN_ALLOWLIST: 'gmail.com,not a domain',
      SCRYPT_LOG2_COST: '30',
      DATABASE_URL: 'mysql://user:hunter2@db/users',
      KAFKA_BROKERS: 'kafka',
    });
    expect(message).toContain('[user-service] Invalid configuration');
    expect(message).toContain('PORT: must be a number');
    expect(message).toContain('LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent');
    expect(message).toContain('EMAIL_DOMAIN_ALLOWLIST.1: "not a domain" is not a domain name');
    expect(message).toContain('SCRYPT_LOG2_COST: must be at most 20');
    expect(message).toContain('DATABASE_URL: must be a postgres:// URL');
    expect(message).toContain('KAFKA_BROKERS.0: must be a comma-separated list of host:port');
    expect(message).not.toContain('hunter2');
  });
});

describe('connectInfrastructure', () => {
  it('runs on the in-memory adapters when no URL is given', async () => {
    const infrastructure = await connectInfrastructure({});
    expect(infrastructure.description).toMatch(/^in-memory event store, in-memory transport/);
    await infrastructure.store.append('probe-1', [{ type: 'probe.made', data: {} }]);
    await infrastructure.close();
  });

  it('refuses, at start-up, the adapters that are not available yet', async () => {
    const failure = await connectInfrastructure({
      databaseUrl: 'postgres://db/users',
      mongoUrl: 'mongodb://mongo/users',
      kafkaBrokers: ['kafka:9092'],
    }).catch((error: unknown) => error);
    expect(isConfigurationError(failure)).toBe(true);
    const message = (failure as Error).message;
    expect(message).toContain('DATABASE_URL and MONGO_URL are both set: choose one event store.');
    expect(message).toContain('DATABASE_URL is set, but the PostgreSQL event store (@eventfold/store-postgres) is not available yet.');
    expect(message).toContain('MONGO_URL is set, but the MongoDB event store (@eventfold/store-mongo) is not available yet.');
    expect(message).toContain('KAFKA_BROKERS is set, but the Kafka transport (@eventfold/transport-kafka) is not available yet.');
  });
});
