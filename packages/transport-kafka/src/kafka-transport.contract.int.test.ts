import { describeTransportConformance } from '@eventfold/core/testing';
import { afterAll } from 'vitest';
import { testTransport, topicJanitor } from '../test/support.js';

// The core conformance suite against the real broker, with consumers tuned to notice rebalances
// within about half a second. Every law gets a fresh transport and fresh topics, deleted at the end.
const janitor = topicJanitor();
afterAll(() => janitor.cleanup(), 60_000);

describeTransportConformance(
  'kafkaTransport',
  async () => {
    const transport = await testTransport();
    return {
      transport,
      ensureTopic: async (topic, partitions) => {
        janitor.track(topic);
        await transport.ensureTopics([{ topic, partitions }]);
      },
    };
  },
  { partitions: 3, timeoutMs: 20_000 },
);
