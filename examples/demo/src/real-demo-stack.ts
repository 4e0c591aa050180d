/**
 * The demo on the real servers of `bash scripts/services`: both services wired from configuration as
 * their `main.ts` wires them, on PostgreSQL (or FerretDB) and Kafka, through `real-stack.ts`. The run
 * has its own schemas or databases and topic prefix, dropped and deleted when the demo closes it.
 */
import { type StoreKind, startRealStack } from './real-stack.js';
import type { DemoStack } from './scenario.js';

const URLS_HINT = 'start the servers and export their URLs: bash scripts/services up && eval "$(bash scripts/services env)"';

/** Starts both services on `store` and Kafka, from the URLs `bash scripts/services env` exports. */
export async function startRealDemoStack(store: StoreKind, env: Readonly<Record<string, string | undefined>>): Promise<DemoStack> {
  const storeUrl = store === 'postgres' ? env.DATABASE_URL : env.MONGO_URL;
  const kafkaBrokers = (env.KAFKA_BROKERS ?? '').split(',').filter((broker) => broker !== '');
  if (!storeUrl || kafkaBrokers.length === 0) {
    throw new Error(`${store === 'postgres' ? 'DATABASE_URL' : 'MONGO_URL'} and KAFKA_BROKERS must be set: ${URLS_HINT}`);
  }
  const stack = await startRealStack(
    store,
    { databaseUrl: env.DATABASE_URL ?? '', mongoUrl: env.MONGO_URL ?? '', kafkaBrokers },
    { name: 'demo', logLevel: 'warn', passwordHashCost: 'default' },
  );
  return {
    header: [
      `Eventfold demo on the real servers: two services in one process, wired from configuration as their main.ts does`,
      `  user-service          ${stack.userApi}   (${stack.descriptions.user})`,
      `  registration-service  ${stack.registrationApi}   (${stack.descriptions.registration})`,
      `  Kafka topics          prefixed ${stack.topicPrefix}, 3 partitions each; user.created goes from one service to the other through Kafka`,
      `  (this run's ${store === 'postgres' ? 'schemas' : 'databases'}, topics and consumer groups are dropped when the demo ends)`,
    ],
    userApi: stack.userApi,
    registrationApi: stack.registrationApi,
    passwordHashing: stack.passwordHashing,
    // The first message waits for the consumer group to settle; later ones take milliseconds.
    deliveryTimeoutMs: 45_000,
    transportName: 'Kafka',
    async settle() {
      await stack.users.settle();
      await stack.registrations.settle();
    },
    messageCount: (topic) => stack.messageCount(topic),
    close: () => stack.cleanUp(),
  };
}
