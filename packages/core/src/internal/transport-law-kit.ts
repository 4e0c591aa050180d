import type { IncomingMessage, Subscription, Transport } from '../transport.js';
import { uuidv7 } from '../uuid.js';

/**
 * Helpers of the transport conformance suite. Real brokers are shared and slow to rebalance,
 * so every law uses fresh topic and group names and waits for outcomes by polling against a
 * deadline instead of assuming any timing.
 */

/** What every group of transport laws gets from the suite. */
export interface TransportLawContext {
  /** Partitions of every topic a law uses. */
  readonly partitions: number;
  /** Longest wait for one expected outcome. */
  readonly timeoutMs: number;
  /** Timeout of one law. */
  readonly lawTimeout: number;
  /** The transport under test in the current law. */
  transport(): Transport;
  /** A fresh topic with `partitions` partitions. */
  topic(label: string): Promise<string>;
  /** Subscribes and tracks the subscription, so it is closed after the law even when the law fails. */
  subscribe(
    group: string,
    topic: string,
    handler: (batch: readonly IncomingMessage[]) => Promise<void>,
    onError?: (error: unknown) => void,
  ): Promise<Subscription>;
}

/** A topic or group name no other test (or earlier run against the same broker) uses. */
export function uniqueName(label: string): string {
  return `eventfold-conformance-${label}-${uuidv7().replaceAll('-', '').slice(-16)}`;
}

/** Polls `check` until it returns true; fails with `what` (and the last check error) after `timeoutMs`. */
export async function eventually(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const decoder = new TextDecoder();

/** The JSON a law published as a message value. */
export function jsonOf(message: IncomingMessage): unknown {
  return JSON.parse(decoder.decode(message.value));
}

/** The payload every law publishes: an id to find the message by, and its key and sequence number within the key. */
export interface Probe {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
}

/** `count` probes over `keys` keys, interleaved (k0#0, k1#0, …, k0#1, …). */
export function probes(count: number, keys: number, prefix = 'k'): Probe[] {
  return Array.from({ length: count }, (_, index) => {
    const key = `${prefix}${index % keys}`;
    return { id: `${prefix}-${index}`, key, seq: Math.floor(index / keys) };
  });
}

/** Publishes probes in order, in batches of `batchSize` publish calls. */
export async function publishProbes(transport: Transport, topic: string, items: readonly Probe[], batchSize = 10): Promise<void> {
  for (let start = 0; start < items.length; start += batchSize) {
    const batch = items.slice(start, start + batchSize);
    await transport.publish(
      topic,
      batch.map((probe) => ({ key: probe.key, value: probe, headers: { 'x-probe-id': probe.id } })),
    );
  }
}

/** One delivery as a law records it. */
export interface Delivery {
  readonly member: string;
  readonly probe: Probe;
  readonly message: IncomingMessage;
}

/** Records every delivery to the members of a law and can make handlers fail or wait. */
export interface Recorder {
  readonly deliveries: Delivery[];
  /** Deliveries whose handler resolved. */
  readonly completed: Delivery[];
  /** A handler for one member; `behaviour` may throw (to fail the batch) or return a promise to wait on. */
  handler(member: string, behaviour?: (delivery: Delivery) => void | Promise<void>): (batch: readonly IncomingMessage[]) => Promise<void>;
  /** Distinct probe ids whose handler resolved, for one member or all. */
  completedIds(member?: string): Set<string>;
}

/** A new {@link Recorder}. */
export function recorder(): Recorder {
  const deliveries: Delivery[] = [];
  const completed: Delivery[] = [];
  return {
    deliveries,
    completed,
    handler(member, behaviour) {
      return async (batch) => {
        const batchDeliveries = batch.map((message) => ({ member, probe: jsonOf(message) as Probe, message }));
        for (const delivery of batchDeliveries) {
          deliveries.push(delivery);
          await behaviour?.(delivery);
        }
        completed.push(...batchDeliveries);
      };
    },
    completedIds(member) {
      return new Set(
        completed.filter((delivery) => member === undefined || delivery.member === member).map((delivery) => delivery.probe.id),
      );
    },
  };
}

/** Subscriptions opened by a law, closed after it even when it fails. */
export function subscriptionsOf(): { track(subscription: Subscription): Subscription; closeAll(): Promise<void> } {
  const open = new Set<Subscription>();
  return {
    track(subscription) {
      open.add(subscription);
      return subscription;
    },
    async closeAll() {
      await Promise.allSettled([...open].map((subscription) => subscription.close()));
      open.clear();
    },
  };
}

/** Sum of the lag over a subscription's partitions. */
export async function totalLag(subscription: Subscription): Promise<number> {
  return (await subscription.lag()).reduce((sum, partition) => sum + partition.lag, 0);
}
