import { isConfigurationError, isStoreUnavailableError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { connectInfrastructure } from './infrastructure.js';

describe('configuration', () => {
  it('has defaults, and names every bad variable at once', () => {
    expect(loadConfig({})).toEqual({
      port: 3002,
      host: '127.0.0.1',
      logLevel: 'info',
      shutdownTimeoutMs: 10_000,
      adapters: { databaseSchema: 'registration_service', mongoDatabase: 'registration_service', topicPrefix: '' },
    });
    const error = (() => {
      try {
        loadConfig({ PORT: '70000', SHUTDOWN_TIMEOUT_MS: 'soon', MONGO_URL: 'http://x' });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(isConfigurationError(error)).toBe(true);
    expect(error?.message).toBe(
      '[registration-service] Invalid configuration:\n  PORT: must be at most 65535\n  SHUTDOWN_TIMEOUT_MS: must be a number\n  MONGO_URL: must be a mongodb:// URL',
    );
  });

  it('reads the adapter settings', () => {
    expect(
      loadConfig({
        DATABASE_URL: 'postgres://db/x',
        DATABASE_SCHEMA: 'regs',
        MONGO_DATABASE: 'regs-2',
        TOPIC_PREFIX: 'qa.',
        KAFKA_BROKERS: 'k:9092',
      }).adapters,
    ).toEqual({
      databaseUrl: 'postgres://db/x',
      databaseSchema: 'regs',
      mongoDatabase: 'regs-2',
      topicPrefix: 'qa.',
      kafkaBrokers: ['k:9092'],
    });
  });

  it('fails the start-up when the configured store is unreachable', async () => {
    const adapters = { ...loadConfig({}).adapters, databaseUrl: 'postgres://postgres@127.0.0.1:1/x', mongoUrl: 'mongodb://127.0.0.1:1/x' };
    await expect(connectInfrastructure(adapters)).rejects.toSatisfy(isStoreUnavailableError);
  });

  it('runs on the in-memory adapters when no URL is given', async () => {
    const infrastructure = await connectInfrastructure(loadConfig({}).adapters);
    expect(infrastructure.description).toMatch(/^in-memory event store .*, in-memory transport$/);
    expect(infrastructure.readinessChecks).toEqual({});
    await infrastructure.close();
  });
});
