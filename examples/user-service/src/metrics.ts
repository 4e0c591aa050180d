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
  };
}
