import { expect, it } from 'vitest';
import { eventually, probes, publishProbes, recorder, type TransportLawContext, totalLag, uniqueName } from './transport-law-kit.js';

/** Laws about groups: closing a member, several groups, members splitting partitions, lag. */
export function describeGroupLaws(context: TransportLawContext): void {
  const { timeoutMs, lawTimeout, partitions } = context;
  const { topic, subscribe } = context;
  const transport = () => context.transport();
  const allPartitions = Array.from({ length: context.partitions }, (_, partition) => partition);

  it(
    'finishes and commits the batch in flight when a subscription closes',
    async () => {
      const topicName = await topic('close');
      const group = uniqueName('group');
      const sent = probes(6, 1);
      await publishProbes(transport(), topicName, sent, 6);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const before = recorder();
      const subscription = await subscribe(
        group,
        topicName,
        before.handler('first', () => gate),
      );
      await eventually('a batch is in flight', timeoutMs, () => before.deliveries.length > 0);
      let closed = false;
      const closing = subscription.close().then(() => {
        closed = true;
      });
      release();
      await closing;
      expect(closed).toBe(true);
      expect(before.completed.length).toBeGreaterThan(0);

      // A marker on the same key comes after any redelivery of what the closed subscription handled.
      await publishProbes(transport(), topicName, [{ id: 'marker', key: 'k0', seq: sent.length }]);
      const after = recorder();
      await subscribe(group, topicName, after.handler('second'));
      const handledBefore = before.completedIds();
      await eventually('the rest and the marker are handled', timeoutMs, () => after.completedIds().has('marker'));
      expect(handledBefore.size + after.completedIds().size).toBe(sent.length + 1);
      const again = [...after.completedIds()].filter((id) => handledBefore.has(id));
      expect(again, 'messages committed on close were delivered again').toEqual([]);
    },
    lawTimeout,
  );

  it(
    'delivers every message to each of two groups',
    async () => {
      const topicName = await topic('groups');
      const sent = probes(20, 5);
      await publishProbes(transport(), topicName, sent);
      const record = recorder();
      await subscribe(uniqueName('group-one'), topicName, record.handler('one'));
      await subscribe(uniqueName('group-two'), topicName, record.handler('two'));
      await eventually(
        'both groups handled all 20',
        timeoutMs,
        () => record.completedIds('one').size === 20 && record.completedIds('two').size === 20,
      );
    },
    lawTimeout,
  );

  it(
    'splits partitions between members of a group, delivering each message to one of them, and rebalances when one leaves',
    async () => {
      const topicName = await topic('split');
      const group = uniqueName('group');
      const record = recorder();
      const a = await subscribe(group, topicName, record.handler('a'));
      const b = await subscribe(group, topicName, record.handler('b'));
      const assigned = async (subscription: typeof a) => new Set((await subscription.lag()).map((lag) => lag.partition));
      let ofA = new Set<number>();
      let ofB = new Set<number>();
      await eventually('the group is stable: members own disjoint partitions covering the topic', timeoutMs, async () => {
        [ofA, ofB] = await Promise.all([assigned(a), assigned(b)]);
        const union = new Set([...ofA, ...ofB]);
        return ofA.size > 0 && ofB.size > 0 && [...ofA].every((partition) => !ofB.has(partition)) && union.size === partitions;
      });

      const sent = probes(40, 20);
      await publishProbes(transport(), topicName, sent);
      await eventually('all 40 are handled', timeoutMs, () => record.completedIds().size === 40);
      const owners = new Map<string, Set<string>>();
      for (const delivery of record.deliveries) {
        owners.set(delivery.probe.id, (owners.get(delivery.probe.id) ?? new Set()).add(delivery.member));
        expect((delivery.member === 'a' ? ofA : ofB).has(delivery.message.partition), `partition of ${delivery.probe.id}`).toBe(true);
      }
      expect(
        [...owners].filter(([, members]) => members.size > 1).map(([id]) => id),
        'delivered to both members',
      ).toEqual([]);

      await a.close();
      await eventually('the remaining member owns every partition', timeoutMs, async () => (await assigned(b)).size === partitions);
      const more = probes(20, 20, 'late');
      await publishProbes(transport(), topicName, more);
      await eventually('the remaining member handles every later message', timeoutMs, () =>
        more.every((probe) => record.completedIds('b').has(probe.id)),
      );
    },
    lawTimeout,
  );

  it(
    'reports lag per partition until the group commits',
    async () => {
      const topicName = await topic('lag');
      await publishProbes(transport(), topicName, probes(9, 9));
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const record = recorder();
      const subscription = await subscribe(
        uniqueName('group'),
        topicName,
        record.handler('a', () => gate),
      );
      await eventually('lag counts all 9 messages', timeoutMs, async () => (await totalLag(subscription)) === 9);
      const lags = await subscription.lag();
      for (const lag of lags) {
        expect(lag.topic).toBe(topicName);
        expect(allPartitions).toContain(lag.partition);
        expect(lag.lag).toBeGreaterThanOrEqual(0);
      }
      release();
      await eventually('lag drops to 0 once everything is committed', timeoutMs, async () => (await totalLag(subscription)) === 0);
      expect(record.completedIds().size).toBe(9);
    },
    lawTimeout,
  );
}
