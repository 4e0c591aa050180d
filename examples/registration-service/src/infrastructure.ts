import { ConfigurationError, type EventStore, inMemoryEventStore, inMemoryTransport, type Transport } from '@eventfold/core';
import type { RegistrationServiceConfig } from './config.js';

/** The adapters the service runs on, and how to let them go. */
export interface Infrastructure {
  readonly store: EventStore;
  readonly transport: Transport;
  /** One line for the start-up log, e.g. `in-memory store, in-memory transport`. */
  readonly description: string;
  /** Closes the transport, then the store. */
  close(): Promise<void>;
}

/**
 * Wires the event store and the transport from configuration: the embedded in-memory adapters when
 * no URL is given. This is the only file that knows which adapters exist.
 *
 * The PostgreSQL, MongoDB and Kafka adapters are still being written; until they ship, a URL for one
 * of them stops the service at start-up rather than silently running on memory. When they ship:
 * `postgresEventStore({ pool: new pg.Pool({ connectionString: databaseUrl }) })` (after `migrate()`),
 * `mongoEventStore({ client: new MongoClient(mongoUrl), database })`, `kafkaTransport({ brokers: kafkaBrokers, clientId })`.
 *
 * @throws {@link ConfigurationError} naming each configured adapter that is not available.
 */
export async function connectInfrastructure(adapters: RegistrationServiceConfig['adapters']): Promise<Infrastructure> {
  const problems: string[] = [];
  if (adapters.databaseUrl !== undefined && adapters.mongoUrl !== undefined) {
    problems.push('DATABASE_URL and MONGO_URL are both set: choose one event store.');
  }
  if (adapters.databaseUrl !== undefined) problems.push(unavailable('DATABASE_URL', 'PostgreSQL event store', '@eventfold/store-postgres'));
  if (adapters.mongoUrl !== undefined) problems.push(unavailable('MONGO_URL', 'MongoDB event store', '@eventfold/store-mongo'));
  if (adapters.kafkaBrokers !== undefined) problems.push(unavailable('KAFKA_BROKERS', 'Kafka transport', '@eventfold/transport-kafka'));
  if (problems.length > 0) {
    throw new ConfigurationError(
      `[registration-service] Cannot wire the adapters:\n${problems.map((problem) => `  ${problem}`).join('\n')}`,
    );
  }

  const store = inMemoryEventStore();
  // Three partitions, as the source document creates its topics.
  const transport = inMemoryTransport({ partitions: 3 });
  return {
    store,
    transport,
    description: 'in-memory event store, in-memory transport (nothing survives a restart)',
    async close() {
      await transport.close();
      await store.close();
    },
  };
}

function unavailable(variable: string, what: string, pkg: string): string {
  return `${variable} is set, but the ${what} (${pkg}) is not available yet. Unset ${variable} to run on the embedded in-memory default.`;
}
