import type { Consumer } from '@eventfold/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Anything with a lag in events: relays and projections. */
export interface Lagging {
  readonly name: string;
  lag(): Promise<bigint>;
}

/**
 * The service's Prometheus metrics, in a registry of its own so two services in one process never clash.
 * Every series carries a `service` label (a default label of the registry).
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** The source document's dashboard: `histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m]))`. */
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly commands: Counter<'command' | 'outcome'>;
  readonly published: Counter<'topic'>;
  /** Reports `lag()` of a relay or projection as a gauge at each scrape. */
  watch(kind: 'relay' | 'projection', source: Lagging): void;
  /** Reports a consumer's counters and lag at each scrape. */
  watchConsumer(consumer: Consumer): void;
}

export function serviceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const lagging: Record<'relay' | 'projection', Lagging[]> = { relay: [], projection: [] };

  const lagGauge = (kind: 'relay' | 'projection', help: string) =>
    new Gauge({
      name: `eventfold_${kind}_lag`,
      help,
      labelNames: ['name'],
      registers: [registry],
      async collect() {
        for (const source of lagging[kind]) {
          // A store that cannot answer now leaves the last value: /metrics must keep working during an outage.
          const lag = await source.lag().catch(() => undefined);
          if (lag !== undefined) this.set({ name: source.name }, Number(lag));
        }
      },
    });
  const consumers: Consumer[] = [];
  // The consumer keeps its own counters; these metrics copy them at each scrape.
  new Counter({
    name: 'kafka_consumer_records_consumed_total',
    help: 'Messages consumed (handled, skipped as duplicates, or dead-lettered). The source document charts its rate per service.',
    labelNames: ['consumer'],
    registers: [registry],
    collect() {
      for (const consumer of consumers) {
        const { handled, duplicates, deadLettered } = consumer.stats();
        setCounter(this, { consumer: consumer.name }, handled + duplicates + deadLettered);
      }
    },
  });
  new Counter({
    name: 'eventfold_consumer_messages_total',
    help: 'Consumed messages by outcome: handled, duplicate (skipped by the inbox), dead_lettered; and retried attempts.',
    labelNames: ['consumer', 'outcome'],
    registers: [registry],
    collect() {
      for (const consumer of consumers) {
        const stats = consumer.stats();
        for (const [outcome, value] of [
          ['handled', stats.handled],
          ['duplicate', stats.duplicates],
          ['dead_lettered', stats.deadLettered],
          ['retried', stats.retried],
        ] as const) {
          setCounter(this, { consumer: consumer.name, outcome }, value);
        }
      }
    },
  });
  new Counter({
    name: 'eventfold_dead_letters_total',
    help: 'Messages a consumer sent to a dead-letter topic.',
    labelNames: ['consumer'],
    registers: [registry],
    collect() {
      for (const consumer of consumers) setCounter(this, { consumer: consumer.name }, consumer.stats().deadLettered);
    },
  });
  new Gauge({
    name: 'eventfold_consumer_lag',
    help: 'Messages not yet committed by a consumer, summed over its partitions.',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      for (const consumer of consumers) {
        const partitions = await consumer.lag().catch(() => undefined);
        if (partitions !== undefined)
          this.set(
            { consumer: consumer.name },
            partitions.reduce((sum, partition) => sum + partition.lag, 0),
          );
      }
    },
  });

  lagGauge('relay', 'Store head position minus the relay checkpoint: an upper bound of the events not yet published.');
  lagGauge('projection', 'Store head position minus the projection checkpoint: an upper bound of the events not yet projected.');

  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request durations, by route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    commands: new Counter({
      name: 'eventfold_commands_total',
      help: 'Commands handled, by outcome: accepted, invalid, not_found, conflict, rejected, unavailable, failed.',
      labelNames: ['command', 'outcome'],
      registers: [registry],
    }),
    published: new Counter({
      name: 'eventfold_messages_published_total',
      help: 'Messages the relay published, by topic.',
      labelNames: ['topic'],
      registers: [registry],
    }),
    watch(kind, source) {
      lagging[kind].push(source);
    },
    watchConsumer(consumer) {
      consumers.push(consumer);
    },
  };
}

/** Sets a counter to a total kept elsewhere (counters only go up, and so do the totals they copy). */
function setCounter<L extends string>(counter: Counter<L>, labels: Record<L, string>, total: number): void {
  counter.remove(labels);
  counter.inc(labels, total);
}
