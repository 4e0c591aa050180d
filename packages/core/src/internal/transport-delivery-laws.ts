import { expect, it } from 'vitest';
import type { IncomingMessage } from '../transport.js';
import { eventually, jsonOf, probes, publishProbes, recorder, type TransportLawContext, uniqueName } from './transport-law-kit.js';

/** Laws about single deliveries: round trip, per-key order and partition, redelivery after a failure, resuming a group. */
export function describeDeliveryLaws(context: TransportLawContext): void {
  const { timeoutMs, lawTimeout } = context;
  const { topic, subscribe } = context;
  const transport = () => context.transport();
  const allPartitions = Array.from({ length: context.partitions }, (_, partition) => partition);

  it(
    'delivers key, value and headers as published, with topic, partition, offset and timestamp',
    async () => {
      const topicName = await topic('round-trip');
      const bytes = new Uint8Array([0, 1, 2, 127, 128, 255]);
      const json = { id: 'json', nested: { list: [1, 'two', null, true] }, text: 'ünïcødé ✓' };
      await transport().publish(topicName, [
        { key: 'key-bytes', value: bytes, headers: { 'x-probe-id': 'bytes', 'x-unicode': 'héllo ✓' } },
        { key: 'key-json', value: json, headers: { 'x-probe-id': 'json' } },
        { key: null, value: 'just a string', headers: { 'x-probe-id': 'null-key' } },
      ]);
      json.nested.list.push('mutated after publish');
      bytes[0] = 42;

      const received: IncomingMessage[] = [];
      await subscribe(uniqueName('group'), topicName, async (batch) => void received.push(...batch));
      await eventually('all 3 messages are delivered', timeoutMs, () => received.length >= 3);

      const byId = new Map(received.map((message) => [message.headers['x-probe-id'], message]));
      const asBytes = byId.get('bytes');
      expect(asBytes?.key).toBe('key-bytes');
      expect([...(asBytes?.value ?? [])]).toEqual([0, 1, 2, 127, 128, 255]);
      expect(asBytes?.headers['x-unicode']).toBe('héllo ✓');
      const asJson = byId.get('json');
      expect(asJson?.key).toBe('key-json');
      expect(jsonOf(asJson as IncomingMessage)).toEqual({
        id: 'json',
        nested: { list: [1, 'two', null, true] },
        text: 'ünïcødé ✓',
      });
      const nullKey = byId.get('null-key');
      expect(nullKey?.key).toBeNull();
      expect(jsonOf(nullKey as IncomingMessage)).toBe('just a string');
      for (const message of received) {
        expect(message.topic).toBe(topicName);
        expect(message.value).toBeInstanceOf(Uint8Array);
        expect(allPartitions).toContain(message.partition);
        expect(message.offset).toMatch(/^\d+$/);
        expect(message.timestamp).toBeInstanceOf(Date);
        expect(Number.isNaN(message.timestamp.getTime())).toBe(false);
      }
    },
    lawTimeout,
  );

  it(
    'keeps each key on one partition, delivered in publish order',
    async () => {
      const topicName = await topic('order');
      const sent = probes(60, 6);
      await publishProbes(transport(), topicName, sent, 7);
      const record = recorder();
      await subscribe(uniqueName('group'), topicName, record.handler('a'));
      await eventually('all 60 messages are handled', timeoutMs, () => record.completedIds().size === 60);

      for (const key of new Set(sent.map((probe) => probe.key))) {
        const ofKey = record.deliveries.filter((delivery) => delivery.probe.key === key);
        expect(
          ofKey.map((delivery) => delivery.probe.seq),
          `order of key ${key}`,
        ).toEqual(ofKey.map((_, index) => index));
        expect(new Set(ofKey.map((delivery) => delivery.message.partition)).size, `partitions of key ${key}`).toBe(1);
        const offsets = ofKey.map((delivery) => BigInt(delivery.message.offset));
        expect(offsets.every((offset, index) => index === 0 || offset > (offsets[index - 1] as bigint))).toBe(true);
      }
    },
    lawTimeout,
  );

  it(
    'commits only after the handler resolves: a batch whose handler throws is delivered again',
    async () => {
      const topicName = await topic('redeliver');
      await publishProbes(transport(), topicName, probes(5, 1));
      const record = recorder();
      const errors: unknown[] = [];
      const failure = new Error('handler failed on purpose');
      let failed = false;
      await subscribe(
        uniqueName('group'),
        topicName,
        record.handler('a', (delivery) => {
          if (delivery.probe.seq === 2 && !failed) {
            failed = true;
            throw failure;
          }
        }),
        (error) => errors.push(error),
      );
      await eventually('all 5 messages are handled', timeoutMs, () => record.completedIds().size === 5);

      expect(errors).toContain(failure);
      const seqs = record.deliveries.map((delivery) => delivery.probe.seq);
      expect(seqs.filter((seq) => seq === 2).length).toBeGreaterThanOrEqual(2);
      const afterRetry = seqs.slice(seqs.lastIndexOf(2));
      expect(afterRetry).toEqual([2, 3, 4]);
    },
    lawTimeout,
  );

  it(
    'resumes a group after close from its committed offsets: nothing lost, nothing committed delivered again',
    async () => {
      const topicName = await topic('resume');
      const group = uniqueName('group');
      const first = probes(8, 4, 'a');
      const second = probes(8, 4, 'b');
      await publishProbes(transport(), topicName, first);
      const before = recorder();
      const subscription = await subscribe(
        group,
        topicName,
        before.handler('first', (delivery) => {
          if (delivery.probe.id.startsWith('b')) throw new Error('not handling the second half');
        }),
        () => undefined,
      );
      await eventually('the first 8 messages are handled', timeoutMs, () => before.completedIds().size === 8);
      await publishProbes(transport(), topicName, second);
      await eventually('a message of the second half was attempted', timeoutMs, () =>
        before.deliveries.some((delivery) => delivery.probe.id.startsWith('b')),
      );
      await subscription.close();

      // Markers on the first half's keys come after any redelivery of it on the same partitions.
      const markers = first.slice(0, 4).map((probe) => ({ ...probe, id: `marker-${probe.key}`, seq: 99 }));
      await publishProbes(transport(), topicName, markers);
      const after = recorder();
      await subscribe(group, topicName, after.handler('second'));
      await eventually('the second 8 messages and the markers are handled', timeoutMs, () => after.completedIds().size >= 12);
      expect([...after.completedIds()].sort()).toEqual([...second, ...markers].map((probe) => probe.id).sort());
      expect(after.deliveries.filter((delivery) => delivery.probe.id.startsWith('a'))).toEqual([]);
    },
    lawTimeout,
  );
}
