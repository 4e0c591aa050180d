import type { Transport } from '@eventfold/core';
import type { ServiceMetrics } from './metrics.js';

/** A transport that counts what it publishes and remembers whether the last publish failed (for `/ready`). */
export interface ObservedTransport extends Transport {
  /** The error of the last publish, or `undefined` when it succeeded (or nothing was published yet). */
  lastPublishError(): unknown;
}

export function observedTransport(transport: Transport, metrics: ServiceMetrics): ObservedTransport {
  let lastError: unknown;
  return {
    async publish(topic, messages) {
      try {
        await transport.publish(topic, messages);
        lastError = undefined;
        metrics.published.inc({ topic }, messages.length);
      } catch (error) {
        lastError = error ?? new Error('publish failed');
        throw error;
      }
    },
    subscribe: (options) => transport.subscribe(options),
    close: () => transport.close(),
    lastPublishError: () => lastError,
  };
}
