import { type EventStore, inMemoryEventStore, inMemoryTransport, type Transport } from '@eventfold/core';
import { mongoEventStore } from '@eventfold/store-mongo';
import { postgresEventStore } from '@eventfold/store-postgres';
import { type KafkaAdmin, type KafkaTransport, kafkaTransport } from '@eventfold/transport-kafka';
import pg from 'pg';
import type { AdapterConfig } from './config.js';
import { TOPICS } from './domain/events.js';
import type { ReadinessCheck } from './http/ops-routes.js';

/** The adapters the service runs on, and how to let them go. */
export interface Infrastructure {
  readonly store: EventStore;
  readonly transport: Transport;
  /** One line for the start-up log, e.g. `PostgreSQL event store (schema user_service), Kafka transport`. Never a URL: URLs carry passwords. */
  readonly description: string;
  /** `/ready` checks beyond the service's own (the store's `headPosition()`): `broker` when on Kafka. */
  readonly readinessChecks: Readonly<Record<string, ReadinessCheck>>;
  /** Closes the transport, then the store (their pools and clients). */
  close(): Promise<void>;
}

/** Partitions of the topics this service creates, as the source document creates them. */
export const TOPIC_PARTITIONS = 3;

/** The topics this service publishes to, with the configured prefix. */
export function publishedTopics(topicPrefix: string): string[] {
  return Object.values(TOPICS).map((topic) => `${topicPrefix}${topic}`);
}

/**
 * Wires the event store and the transport from configuration. This is the only file that knows which
 * adapters exist:
 *
 * - store: `DATABASE_URL` → PostgreSQL (`@eventfold/store-postgres`, its tables in `DATABASE_SCHEMA`,
 *   migrated here, at start-up); else `MONGO_URL` → MongoDB (`@eventfold/store-mongo`, in `MONGO_DATABASE`,
 *   indexes created here); else in memory.
 * - transport: `KAFKA_BROKERS` → Kafka (`@eventfold/transport-kafka`; the topics this service publishes to
 *   are created here with 3 partitions); else in memory.
 *
 * With both `DATABASE_URL` and `MONGO_URL` set (as `eval "$(bash scripts/services env)"` does), PostgreSQL
 * wins and the description says MongoDB was ignored. Start-up fails (rejects) when a configured server
 * cannot be reached: better than a service that looks up but cannot work. Whatever was opened before
 * the failure is closed again.
 */
export async function connectInfrastructure(adapters: AdapterConfig): Promise<Infrastructure> {
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    // Reverse order: the transport (and its probe) before the store.
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const store = await connectStore(adapters);
    closers.push(() => store.close());
    const transport = await connectTransport(adapters);
    closers.push(() => transport.close());
    return {
      store: store.store,
      transport: transport.transport,
      description: `${store.description}, ${transport.description}${
        adapters.databaseUrl !== undefined && adapters.mongoUrl !== undefined ? ' (MONGO_URL ignored: DATABASE_URL takes precedence)' : ''
      }`,
      readinessChecks: transport.readinessChecks,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function connectStore(adapters: AdapterConfig): Promise<{ store: EventStore; description: string; close(): Promise<void> }> {
  if (adapters.databaseUrl !== undefined) {
    const pool = new pg.Pool({
      connectionString: adapters.databaseUrl,
      application_name: 'user-service',
      max: 10,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 10_000,
    });
    // pg-pool listens for errors only on idle connections. A connection that breaks while checked out
    // (the server restarts, the network drops) would emit an 'error' nobody listens to, and crash the
    // process; the query on it is rejected anyway, and the store turns that into StoreUnavailableError.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store = postgresEventStore({ pool, schema: adapters.databaseSchema });
    const close = async () => {
      await store.close().catch(() => undefined);
      await pool.end();
    };
    try {
      await store.migrate();
    } catch (error) {
      await close().catch(() => undefined);
      throw error;
    }
    return { store, close, description: `PostgreSQL event store (schema ${adapters.databaseSchema})` };
  }
  if (adapters.mongoUrl !== undefined) {
    const store = mongoEventStore({
      url: adapters.mongoUrl,
      database: adapters.mongoDatabase,
      clientOptions: { appName: 'user-service', serverSelectionTimeoutMS: 10_000 },
    });
    try {
      await store.ensureIndexes();
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return { store, close: () => store.close(), description: `MongoDB event store (database ${adapters.mongoDatabase})` };
  }
  const store = inMemoryEventStore();
  return { store, close: () => store.close(), description: 'in-memory event store (nothing survives a restart)' };
}

async function connectTransport(
  adapters: AdapterConfig,
): Promise<{ transport: Transport; description: string; readinessChecks: Record<string, ReadinessCheck>; close(): Promise<void> }> {
  if (adapters.kafkaBrokers !== undefined) {
    const transport = kafkaTransport({
      brokers: adapters.kafkaBrokers,
      clientId: 'user-service',
      topicDefaults: { partitions: TOPIC_PARTITIONS },
    });
    const probe = brokerProbe(transport, publishedTopics(adapters.topicPrefix));
    try {
      await transport.ensureTopics(publishedTopics(adapters.topicPrefix).map((topic) => ({ topic, partitions: TOPIC_PARTITIONS })));
    } catch (error) {
      await transport.close().catch(() => undefined);
      throw error;
    }
    return {
      transport,
      description: `Kafka transport (${adapters.kafkaBrokers.join(',')})`,
      readinessChecks: { broker: probe.check },
      async close() {
        await probe.close();
        await transport.close();
      },
    };
  }
  // Three partitions, as the source document creates its topics.
  const transport = inMemoryTransport({ partitions: TOPIC_PARTITIONS });
  return { transport, description: 'in-memory transport', readinessChecks: {}, close: () => transport.close() };
}

/**
 * A `/ready` check of the broker: the metadata of this service's topics, through one admin client kept
 * for the purpose (connected on the first check, dropped and remade after a failure). Probes that
 * arrive while one is running share it, so a slow broker never piles them up.
 */
export function brokerProbe(transport: KafkaTransport, topics: readonly string[]): { check: () => Promise<void>; close(): Promise<void> } {
  let admin: Promise<KafkaAdmin> | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  const connected = () => {
    if (admin === undefined) {
      const created = transport.client.admin();
      admin = created.connect().then(() => created);
    }
    return admin;
  };
  const probe = async () => {
    const current = connected();
    try {
      const client = await current;
      const { topics: found } = await client.fetchTopicMetadata({ topics: [...topics] });
      const missing = topics.filter((topic) => !found.some((metadata) => metadata.name === topic && metadata.partitions.length > 0));
      if (missing.length > 0) throw new Error(`topics without partitions: ${missing.join(', ')}`);
    } catch (error) {
      if (admin === current) admin = undefined;
      await current.then((client) => client.disconnect()).catch(() => undefined);
      throw error;
    }
  };
  return {
    check() {
      if (closed) return Promise.reject(new Error('the broker probe is closed'));
      running ??= probe().finally(() => {
        running = undefined;
      });
      return running;
    },
    async close() {
      closed = true;
      await running?.catch(() => undefined);
      await admin?.then((client) => client.disconnect()).catch(() => undefined);
      admin = undefined;
    },
  };
}
