import { type EventStore, type Relay, relay, type Transport } from '@eventfold/core';
import type { FastifyInstance } from 'fastify';
import { type PasswordHasher, passwordHasher } from './application/password-hasher.js';
import { registerUserHandler } from './application/register-user.js';
import { type UsersReadModel, usersReadModel } from './application/users-projection.js';
import { TOPICS } from './domain/events.js';
import { opsRoutes, type ReadinessCheck } from './http/ops-routes.js';
import { createServer, type LogOptions, trackRequestsInFlight } from './http/server.js';
import { usersRoutes } from './http/users-routes.js';
import { type ServiceMetrics, serviceMetrics } from './metrics.js';
import { observedTransport } from './observed-transport.js';

/** What the user service is built from. Only `store` and `transport` are required. */
export interface UserServiceOptions {
  readonly store: EventStore;
  readonly transport: Transport;
  /** Email domains that may register, compared case-insensitively. @defaultValue `['gmail.com', 'company.com']` */
  readonly allowedEmailDomains?: readonly string[];
  /** How long an unconfirmed username or email reservation blocks others. @defaultValue 60_000 */
  readonly reservationTimeoutMs?: number;
  /** @defaultValue argon2id with m = 19 MiB, t = 2, p = 1 (scrypt with N = 2^17, r = 8, p = 1 on a Node without argon2) */
  readonly passwordHasher?: PasswordHasher;
  /** The clock for ages, timestamps and reservation expiry. @defaultValue `() => new Date()` */
  readonly now?: () => Date;
  /** `false` for no logs. @defaultValue `{ level: 'info' }` to standard output */
  readonly log?: LogOptions | false;
  /** Extra `/ready` checks, e.g. a broker ping from the infrastructure. */
  readonly readinessChecks?: Readonly<Record<string, ReadinessCheck>>;
  /** The `service` label of metrics and the relay's name. @defaultValue `'user-service'` */
  readonly name?: string;
  /** Prepended to every topic name (`TOPIC_PREFIX`). @defaultValue `''` */
  readonly topicPrefix?: string;
}

/** A built user service: not listening until `listen`, nothing running in the background until `start`. */
export interface UserService {
  readonly app: FastifyInstance;
  readonly metrics: ServiceMetrics;
  readonly users: UsersReadModel;
  readonly relay: Relay;
  /** Rebuilds the users read model, then starts it and the relay in the background. */
  start(): Promise<void>;
  /** Starts HTTP; resolves with the address, e.g. `http://127.0.0.1:3001`. */
  listen(options: { port: number; host: string }): Promise<string>;
  /** Projects and relays everything in the store now (tests and scripts use it instead of waiting). */
  settle(): Promise<void>;
  /** Stops taking requests and finishes those in flight, relays what is left, stops the background work. Leaves the store and transport open: whoever made them closes them. */
  stop(): Promise<void>;
}

/**
 * Builds the user service from an event store and a transport. `main.ts` passes the adapters wired
 * from configuration; tests and the demo pass in-memory ones and drive it in-process.
 *
 * @example
 * ```ts
 * const service = createUserService({ store: inMemoryEventStore(), transport: inMemoryTransport() });
 * await service.start();
 * const response = await service.app.inject({ method: 'POST', url: '/users', payload: { … } });
 * ```
 */
export function createUserService(options: UserServiceOptions): UserService {
  const { store } = options;
  const name = options.name ?? 'user-service';
  const now = options.now ?? (() => new Date());
  const metrics = serviceMetrics(name);
  const transport = observedTransport(options.transport, metrics);
  const app = createServer({ log: options.log ?? { level: 'info' }, metrics });
  const requestsDone = trackRequestsInFlight(app);
  const warn = (details: Record<string, unknown>, message: string) => app.log.warn(details, message);

  const users = usersReadModel(store, { onError: (error) => warn({ err: error }, 'The users projection failed; retrying') });
  // Routed by event type: `user.password-set` has no route, so the hash never leaves the service.
  const outbox = relay({
    name,
    store,
    transport,
    routes: prefixed(TOPICS, options.topicPrefix ?? ''),
    onError: (error) => warn({ err: error }, 'The relay failed to publish; retrying'),
  });
  metrics.watch('projection', users.projection);
  metrics.watch('relay', outbox);

  const registerUser = registerUserHandler({
    store,
    hasher: options.passwordHasher ?? passwordHasher(),
    allowedEmailDomains: options.allowedEmailDomains ?? ['gmail.com', 'company.com'],
    reservationTimeoutMs: options.reservationTimeoutMs ?? 60_000,
    now,
    warn,
  });

  let accepting = false;
  usersRoutes(app, { registerUser, users, metrics, now });
  opsRoutes(app, {
    metrics,
    accepting: () => accepting,
    checks: {
      store: () => store.headPosition(),
      transport: async () => {
        const error = transport.lastPublishError();
        if (error !== undefined) throw error;
      },
      ...options.readinessChecks,
    },
  });

  return {
    app,
    metrics,
    users,
    relay: outbox,
    async start() {
      await users.projection.rebuild();
      users.projection.start();
      outbox.start();
      await app.ready();
      accepting = true;
    },
    async listen({ port, host }) {
      return app.listen({ port, host });
    },
    async settle() {
      await users.projection.runOnce();
      await outbox.runOnce();
    },
    async stop() {
      accepting = false;
      await app.close();
      await requestsDone();
      // Publish what the last requests appended, so a clean shutdown leaves nothing for the next start.
      await outbox.runOnce().catch((error: unknown) => warn({ err: error }, 'Could not relay the last events before stopping'));
      await outbox.stop();
      await users.projection.stop();
    },
  };
}

/** Routes with every topic prefixed. */
function prefixed<R extends Record<string, string>>(routes: R, prefix: string): R {
  return Object.fromEntries(Object.entries(routes).map(([type, topic]) => [type, `${prefix}${topic}`])) as R;
}
