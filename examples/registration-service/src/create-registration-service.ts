import { type Consumer, type EventStore, type InMemoryTransport, type Relay, relay, type Transport } from '@eventfold/core';
import type { FastifyInstance } from 'fastify';
import { type Conferences, conferences as conferenceCommands } from './application/conferences.js';
import { type KnownUsers, knownUsers, knownUsersConsumer } from './application/known-users.js';
import { TOPIC_PARTITIONS, TOPICS, USER_CREATED_TOPIC } from './domain/events.js';
import { conferencesRoutes } from './http/conferences-routes.js';
import { opsRoutes, type ReadinessCheck } from './http/ops-routes.js';
import { createServer, type LogOptions, trackRequestsInFlight } from './http/server.js';
import { type ServiceMetrics, serviceMetrics } from './metrics.js';
import { observedTransport } from './observed-transport.js';

/** What the registration service is built from. Only `store` and `transport` are required. */
export interface RegistrationServiceOptions {
  readonly store: EventStore;
  readonly transport: Transport;
  /** The clock for timestamps and "starts in the future". @defaultValue `() => new Date()` */
  readonly now?: () => Date;
  /** `false` for no logs. @defaultValue `{ level: 'info' }` to standard output */
  readonly log?: LogOptions | false;
  /** Extra `/ready` checks, e.g. a broker ping from the infrastructure. */
  readonly readinessChecks?: Readonly<Record<string, ReadinessCheck>>;
  /** The `service` label of metrics, the relay's name and the prefix of the consumer's. @defaultValue `'registration-service'` */
  readonly name?: string;
  /** Prepended to every topic name, consumed and published, and to the consumer group (`TOPIC_PREFIX`). @defaultValue `''` */
  readonly topicPrefix?: string;
}

/** A built registration service: not listening until `listen`, nothing running in the background until `start`. */
export interface RegistrationService {
  readonly app: FastifyInstance;
  readonly metrics: ServiceMetrics;
  readonly conferences: Conferences;
  readonly users: KnownUsers;
  readonly relay: Relay;
  readonly consumer: Consumer;
  /** Subscribes the consumer and starts the relay in the background. */
  start(): Promise<void>;
  /** Starts HTTP; resolves with the address, e.g. `http://127.0.0.1:3002`. */
  listen(options: { port: number; host: string }): Promise<string>;
  /** Relays everything in the store and waits until the consumer has nothing left to handle (tests and scripts). */
  settle(): Promise<void>;
  /** Stops taking requests and finishes those in flight, drains the consumer, relays what is left, stops the relay. Leaves the store and transport open. */
  stop(): Promise<void>;
}

/**
 * Builds the registration service from an event store and a transport: `main.ts` passes the adapters
 * wired from configuration; tests and the demo pass in-memory ones (the demo shares one transport with
 * the user service, so `user.created` flows from one to the other).
 */
export function createRegistrationService(options: RegistrationServiceOptions): RegistrationService {
  const { store } = options;
  const name = options.name ?? 'registration-service';
  const now = options.now ?? (() => new Date());
  const metrics = serviceMetrics(name);
  const prefix = options.topicPrefix ?? '';
  const routes = prefixed(TOPICS, prefix);
  if (isInMemory(options.transport)) {
    for (const topic of Object.values(routes)) options.transport.ensureTopic(topic, { partitions: TOPIC_PARTITIONS });
  }
  const transport = observedTransport(options.transport, metrics);
  const app = createServer({ log: options.log ?? { level: 'info' }, metrics });
  const requestsDone = trackRequestsInFlight(app);
  const warn = (details: Record<string, unknown>, message: string) => app.log.warn(details, message);

  const users = knownUsers(store);
  const commands = conferenceCommands({ store, users, now });
  const usersConsumer = knownUsersConsumer({
    transport,
    store,
    users,
    name: `${name}.known-users`,
    // Prefixed like the topics: deployments under different prefixes on one cluster must not share a group.
    group: `${prefix}${name}.known-users`,
    topic: `${prefix}${USER_CREATED_TOPIC}`,
    onError: (error) => warn({ err: error }, 'Handling a user.created message failed'),
  });
  const outbox = relay({
    name,
    store,
    transport,
    routes,
    onError: (error) => warn({ err: error }, 'The relay failed to publish; retrying'),
  });
  metrics.watch('relay', outbox);
  metrics.watchConsumer(usersConsumer);

  let accepting = false;
  conferencesRoutes(app, { conferences: commands, users, metrics, now });
  opsRoutes(app, {
    metrics,
    accepting: () => accepting,
    checks: {
      store: () => store.headPosition(),
      transport: async () => {
        const error = transport.lastPublishError();
        if (error !== undefined) throw error;
        await usersConsumer.lag(); // asks the transport about the subscription
      },
      ...options.readinessChecks,
    },
  });

  return {
    app,
    metrics,
    conferences: commands,
    users,
    relay: outbox,
    consumer: usersConsumer,
    async start() {
      await usersConsumer.start();
      outbox.start();
      await app.ready();
      accepting = true;
    },
    async listen({ port, host }) {
      return app.listen({ port, host });
    },
    async settle() {
      await outbox.runOnce();
      for (;;) {
        const lag = await usersConsumer.lag();
        if (lag.every((partition) => partition.lag === 0)) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async stop() {
      accepting = false;
      await app.close();
      await requestsDone();
      // Finishes the message in hand; the rest stays uncommitted and is redelivered to the next instance.
      await usersConsumer.stop();
      await outbox.runOnce().catch((error: unknown) => warn({ err: error }, 'Could not relay the last events before stopping'));
      await outbox.stop();
    },
  };
}

function isInMemory(transport: Transport): transport is InMemoryTransport {
  return typeof (transport as Partial<InMemoryTransport>).ensureTopic === 'function';
}

/** Routes with every topic prefixed. */
function prefixed<R extends Record<string, string>>(routes: R, prefix: string): R {
  return Object.fromEntries(Object.entries(routes).map(([type, topic]) => [type, `${prefix}${topic}`])) as R;
}
