import { isConfigurationError, isValidationError } from '@eventfold/core';
import { kafkaTransport } from '@eventfold/transport-kafka';
import { describe, expect, it } from 'vitest';

function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('kafkaTransport options', () => {
  it('requires brokers (or a kafka client) and says so, naming the package', () => {
    for (const options of [{}, { brokers: [] }, { brokers: [''] }]) {
      const error = errorOf(() => kafkaTransport(options));
      expect(isConfigurationError(error)).toBe(true);
      expect(error.message).toBe(
        '[@eventfold/transport-kafka] Option `brokers` is required: pass the bootstrap brokers, e.g. ["localhost:9092"], or pass `kafka`.',
      );
    }
    expect(isConfigurationError(errorOf(() => kafkaTransport(undefined as never)))).toBe(true);
    expect(errorOf(() => kafkaTransport({ kafka: {} as never })).message).toContain('Option `kafka` must be a kafkajs Kafka instance');
  });

  it('rejects invalid tuning before connecting to anything', () => {
    const brokers = ['127.0.0.1:1'];
    const cases: [Parameters<typeof kafkaTransport>[0], string][] = [
      [{ brokers, compression: 'brotli' as never }, 'Option `compression` must be one of none, gzip, snappy, lz4, zstd'],
      [{ brokers, logLevel: 'loud' as never }, 'Option `logLevel` must be one of'],
      [{ brokers, consumer: { maxBatchSize: 0 } }, 'Option `consumer.maxBatchSize` must be an integer >= 1, got 0.'],
      [{ brokers, consumer: { heartbeatInterval: 10_000, sessionTimeout: 6_000 } }, 'must be below `consumer.sessionTimeout`'],
      [{ brokers, topicDefaults: { partitions: 0 } }, 'Option `topicDefaults.partitions` must be an integer >= 1'],
      [{ brokers, topicDefaults: { replicationFactor: 0 } }, 'Option `topicDefaults.replicationFactor` must be -1'],
    ];
    for (const [options, message] of cases) {
      const error = errorOf(() => kafkaTransport(options));
      expect(isConfigurationError(error), message).toBe(true);
      expect(error.message).toContain(message);
    }
  });

  it('validates topics, messages and subscribe options without a broker', async () => {
    const transport = kafkaTransport({ brokers: ['127.0.0.1:1'] });
    expect(isValidationError(await transport.publish('no spaces allowed', []).catch((error) => error))).toBe(true);
    expect(isValidationError(await transport.publish('t', [{ key: 7 as never, value: 1 }]).catch((error) => error))).toBe(true);
    await expect(transport.publish('t', [])).resolves.toBeUndefined();
    const noHandler = await transport.subscribe({ group: 'g', topics: ['t'] } as never).catch((error) => error);
    expect(noHandler.message).toContain('Option `handler` is required');
    const noTopics = await transport.subscribe({ group: 'g', topics: [], handler: async () => undefined }).catch((error) => error);
    expect(noTopics.message).toContain('Option `topics` is required');
    await transport.close();
    const closed = await transport.publish('t', [{ key: 'k', value: 1 }]).catch((error) => error);
    expect(isConfigurationError(closed)).toBe(true);
    expect(closed.message).toBe('[@eventfold/transport-kafka] The Kafka transport was used after close().');
  });
});
