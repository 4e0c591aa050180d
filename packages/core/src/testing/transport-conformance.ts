import { afterEach, beforeEach, describe } from 'vitest';
import { describeDeliveryLaws } from '../internal/transport-delivery-laws.js';
import { describeGroupLaws } from '../internal/transport-group-laws.js';
import { subscriptionsOf, type TransportLawContext, uniqueName } from '../internal/transport-law-kit.js';
import type { Transport } from '../transport.js';

/** A transport set up for the conformance suite, with what the suite needs around it. */
export interface TransportUnderTest {
  readonly transport: Transport;
  /** Creates a topic with a partition count before a law uses it. Without it, topics must come into being on first use with `partitions` partitions. */
  ensureTopic?(topic: string, partitions: number): Promise<void>;
  /** Releases what the factory set up. @defaultValue `transport.close()` */
  teardown?(): Promise<void>;
}

/** Options of {@link describeTransportConformance}. */
export interface TransportConformanceOptions {
  /** Partitions of every topic the laws use. At least 2, so that the partitioning laws mean something. @defaultValue 3 */
  partitions?: number;
  /** Longest wait for one expected outcome (a delivery, a rebalance, a lag value); a law may take a few such waits. @defaultValue 30_000 */
  timeoutMs?: number;
}

/**
 * The laws every `Transport` adapter must pass: round trip of key, value and headers; per-key
 * order and partition; commits only after the handler resolves (a failure redelivers); resuming
 * a group after close with nothing lost and nothing committed redelivered; close finishing the
 * batch in flight; groups each getting everything; members of one group splitting partitions
 * and rebalancing when one leaves; per-partition lag.
 *
 * Each law gets a fresh transport from `factory` (torn down after it) and fresh topic and group
 * names, and waits by polling against `timeoutMs`, so the suite runs against shared, real brokers.
 *
 * @example
 * ```ts
 * describeTransportConformance('kafkaTransport', async () => {
 *   const transport = kafkaTransport({ brokers, clientId: 'conformance' });
 *   return {
 *     transport,
 *     ensureTopic: (topic, partitions) => admin.createTopics({ topics: [{ topic, numPartitions: partitions }] }).then(() => undefined),
 *   };
 * });
 * ```
 */
export function describeTransportConformance(
  name: string,
  factory: () => Promise<TransportUnderTest>,
  options: TransportConformanceOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let underTest: TransportUnderTest | undefined;
  let subscriptions = subscriptionsOf();
  const current = (): TransportUnderTest => {
    if (underTest === undefined) throw new Error('The transport conformance factory has not run yet.');
    return underTest;
  };
  const context: TransportLawContext = {
    partitions: options.partitions ?? 3,
    timeoutMs,
    lawTimeout: timeoutMs * 4,
    transport: () => current().transport,
    async topic(label) {
      const topic = uniqueName(label);
      await current().ensureTopic?.(topic, context.partitions);
      return topic;
    },
    async subscribe(group, topic, handler, onError) {
      const subscribeOptions = { group, topics: [topic], handler, ...(onError === undefined ? {} : { onError }) };
      return subscriptions.track(await current().transport.subscribe(subscribeOptions));
    },
  };

  describe(`Transport conformance: ${name}`, () => {
    beforeEach(async () => {
      underTest = await factory();
      subscriptions = subscriptionsOf();
    }, context.lawTimeout);

    afterEach(async () => {
      await subscriptions.closeAll();
      const done = underTest;
      underTest = undefined;
      if (done !== undefined) await (done.teardown ? done.teardown() : done.transport.close());
    }, context.lawTimeout);

    describeDeliveryLaws(context);
    describeGroupLaws(context);
  });
}
