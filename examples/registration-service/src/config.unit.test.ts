import { isConfigurationError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { connectInfrastructure } from './infrastructure.js';

describe('configuration', () => {
  it('has defaults, and names every bad variable at once', () => {
    expect(loadConfig({})).toEqual({ port: 3002, host: '127.0.0.1', logLevel: 'info', shutdownTimeoutMs: 10_000, adapters: {} });
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

  it('refuses, at start-up, the adapters that are not available yet', async () => {
    await expect(connectInfrastructure({ kafkaBrokers: ['kafka:9092'] })).rejects.toThrow(
      'KAFKA_BROKERS is set, but the Kafka transport (@eventfold/transport-kafka) is not available yet. Unset KAFKA_BROKERS to run on the embedded in-memory default.',
    );
  });
});
