import { describeTransportConformance } from '../testing/transport-conformance.js';
import { inMemoryTransport } from './in-memory-transport.js';

describeTransportConformance(
  'inMemoryTransport',
  async () => {
    const transport = inMemoryTransport({ redeliveryDelayMs: 10 });
    return { transport, ensureTopic: async (topic, partitions) => transport.ensureTopic(topic, { partitions }) };
  },
  { timeoutMs: 5_000 },
);
