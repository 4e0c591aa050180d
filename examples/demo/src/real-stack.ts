/**
 * Both services on real servers, for the end-to-end tests and `--real` demo: started in-process exactly as
 * their `main.ts` wires them (configuration → `connectInfrastructure` → service), each on its own
 * PostgreSQL schema or MongoDB database, both on one Kafka broker under a topic prefix unique to the
 * run, listening on ephemeral ports; their log lines captured. `cleanUp()` drops what the run created.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from '@eventfold/core';
import {
  connectInfrastructure as connectRegistrationInfrastructure,
  createRegistrationService,
  loadConfig as loadRegistrationConfig,
  type RegistrationService,
} from '@eventfold/example-registration-service';
import {
  connectInfrastructure as connectUserInfrastructure,
  createUserService,
  loadConfig as loadUserConfig,
  passwordHasher,
  type UserService,
} from '@eventfold/example-user-service';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';

export type StoreKind = 'postgres' | 'mongo';

/** What the services answered, kept whole so a test can search every response body. */
export interface Exchange {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: any;
}

export interface RealStack {
  /** Unique to this run: schema/database names and the topic prefix derive from it. */
  readonly run: string;
  readonly topicPrefix: string;
  readonly userApi: string;
  readonly registrationApi: string;
  readonly users: UserService;
  readonly registrations: RegistrationService;
  /** The infrastructure descriptions, as the services log them at start-up. */
  readonly descriptions: { readonly user: string; readonly registration: string };
  /** How user-service hashes new passwords, e.g. `argon2id (m=1024 KiB, t=1, p=1)`. */
  readonly passwordHashing: string;
  /** Stops registration-service and closes its infrastructure, then starts a new one on the same schema or database, topics and group. */
  restartRegistrations(): Promise<void>;
  /** Every log line of both services (JSON text), at the level of the options. */
  readonly logs: string[];
  /** Every HTTP exchange made through `call`. */
  readonly exchanges: Exchange[];
  call(base: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Exchange>;
  /** The messages of a topic (prefixed here), up to its end now. */
  readTopic(topic: string): Promise<IncomingMessage[]>;
  /** Publishes raw messages to a topic (prefixed here), straight through kafkajs, to the given partitions. */
  publishRaw(
    topic: string,
    messages: readonly { partition: number; key: string; value: string; headers?: Record<string, string> }[],
  ): Promise<void>;
  /** The topics of this run (full names). */
  topics(): Promise<string[]>;
  /** Partition counts of the given topics (prefixed here). */
  partitions(topic: string): Promise<number>;
  /** Messages on a topic (prefixed here) so far, from its partitions' offsets. */
  messageCount(topic: string): Promise<number>;
  /** Every row of every table (PostgreSQL) or document of every collection (MongoDB) of both stores, as raw text. */
  rawStoreText(): Promise<string>;
  /** Stops both services and closes their infrastructure. Idempotent. */
  stop(): Promise<void>;
  /** `stop()`, then drops the schemas or databases and deletes the run's topics and consumer groups. */
  cleanUp(): Promise<void>;
}

/** Polls until `attempt` returns a value other than `undefined`, or throws after `timeoutMs`. */
export async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms${last === undefined ? '' : `: ${String(last)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** What the tests and the demo set differently. */
export interface RealStackOptions {
  /** Starts the run's name (schemas, databases, topic prefix). @defaultValue `'e2e'` */
  readonly name?: string;
  /** The services' log level (lines are captured in `logs`, never printed). @defaultValue `'trace'` */
  readonly logLevel?: 'trace' | 'warn';
  /**
   * The password hashes' cost: the services' defaults, or `'cheap'` (argon2id with 1 MiB and one
   * pass, scrypt N = 2^14 on a Node without argon2) so the tests stay fast. @defaultValue `'cheap'`
   */
  readonly passwordHashCost?: 'default' | 'cheap';
}

/**
 * Starts both services on the real servers. `urls` are what `bash scripts/services env` exports;
 * `store` picks which store both services use (the other URL is left out of their configuration).
 */
export async function startRealStack(
  store: StoreKind,
  urls: { databaseUrl: string; mongoUrl: string; kafkaBrokers: readonly string[] },
  options: RealStackOptions = {},
): Promise<RealStack> {
  const run = `${options.name ?? 'e2e'}_${store === 'postgres' ? 'pg' : 'mg'}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const topicPrefix = `${run}.`;
  // Short enough for the store's prepared-statement names (PostgreSQL truncates identifiers at 63 bytes).
  const names = { user: `${run}_users`, registration: `${run}_regs` };
  const common = {
    ...(store === 'postgres' ? { DATABASE_URL: urls.databaseUrl } : { MONGO_URL: urls.mongoUrl }),
    KAFKA_BROKERS: urls.kafkaBrokers.join(','),
    TOPIC_PREFIX: topicPrefix,
    LOG_LEVEL: options.logLevel ?? 'trace',
    ...(options.passwordHashCost === 'default' ? {} : { ARGON2_MEMORY_KIB: '1024', ARGON2_PASSES: '1', SCRYPT_LOG2_COST: '14' }),
  };
  const userConfig = loadUserConfig({ ...common, DATABASE_SCHEMA: names.user, MONGO_DATABASE: names.user });
  const registrationConfig = loadRegistrationConfig({ ...common, DATABASE_SCHEMA: names.registration, MONGO_DATABASE: names.registration });

  const logs: string[] = [];
  const capture = { level: userConfig.logLevel, stream: { write: (line: string) => void logs.push(line) } };
  const kafka = new Kafka({ brokers: [...urls.kafkaBrokers], clientId: `${run}-test`, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const pgPool = store === 'postgres' ? new pg.Pool({ connectionString: urls.databaseUrl, max: 2 }) : undefined;
  pgPool?.on('error', () => undefined);
  const mongo = store === 'mongo' ? new MongoClient(urls.mongoUrl) : undefined;

  const userInfrastructure = await connectUserInfrastructure(userConfig.adapters);
  const connectRegistrations = () => connectRegistrationInfrastructure(registrationConfig.adapters);
  let registrationInfrastructure = await connectRegistrations().catch(async (error: unknown) => {
    await userInfrastructure.close();
    throw error;
  });
  const hasher = passwordHasher({
    argon2id: { memoryKiB: userConfig.argon2MemoryKiB, passes: userConfig.argon2Passes },
    scrypt: { log2Cost: userConfig.scryptLog2Cost },
  });
  const users = createUserService({
    store: userInfrastructure.store,
    transport: userInfrastructure.transport,
    passwordHasher: hasher,
    log: capture,
    readinessChecks: userInfrastructure.readinessChecks,
    topicPrefix: userConfig.adapters.topicPrefix,
  });
  // A consumer group of its own per run (the group is named after the service).
  const registrationName = `registration-service-${run}`;
  const buildRegistrations = (infrastructure: typeof registrationInfrastructure) =>
    createRegistrationService({
      store: infrastructure.store,
      transport: infrastructure.transport,
      log: capture,
      readinessChecks: infrastructure.readinessChecks,
      topicPrefix: registrationConfig.adapters.topicPrefix,
      name: registrationName,
    });
  let registrations = buildRegistrations(registrationInfrastructure);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await Promise.allSettled([registrations.stop(), users.stop()]);
      await Promise.allSettled([registrationInfrastructure.close(), userInfrastructure.close()]);
    })();
    return stopped;
  };

  const exchanges: Exchange[] = [];
  const decoder = new TextDecoder();
  const topics = async () => (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefix));
  const stack: RealStack = {
    run,
    topicPrefix,
    userApi: '',
    registrationApi: '',
    users,
    get registrations() {
      return registrations;
    },
    async restartRegistrations() {
      await registrations.stop();
      await registrationInfrastructure.close();
      registrationInfrastructure = await connectRegistrations();
      registrations = buildRegistrations(registrationInfrastructure);
      await registrations.start();
      const registrationApi = await registrations.listen({ port: 0, host: '127.0.0.1' });
      Object.assign(stack, { registrationApi });
    },
    descriptions: { user: userInfrastructure.description, registration: registrationInfrastructure.description },
    passwordHashing: hasher.scheme,
    logs,
    exchanges,
    async call(base, method, path, body, headers = {}) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      const exchange = { status: response.status, headers: response.headers, text, body: safeJson(text) };
      exchanges.push(exchange);
      return exchange;
    },
    async readTopic(topic) {
      // A throw-away group per read, as the transport's `readTopic` does; plain kafkajs here, so the test
      // reads what is on the broker without going through the adapter under test.
      return readWholeTopic(kafka, admin, `${topicPrefix}${topic}`);
    },
    async publishRaw(topic, messages) {
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({ topic: `${topicPrefix}${topic}`, acks: -1, messages: messages.map((message) => ({ ...message })) });
      } finally {
        await producer.disconnect();
      }
    },
    topics,
    async partitions(topic) {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: [`${topicPrefix}${topic}`] });
      return found[0]?.partitions.length ?? 0;
    },
    async messageCount(topic) {
      const offsets = await admin.fetchTopicOffsets(`${topicPrefix}${topic}`);
      return offsets.reduce((sum, offset) => sum + Number(BigInt(offset.high) - BigInt(offset.low)), 0);
    },
    async rawStoreText() {
      if (pgPool !== undefined) {
        const { rows: tables } = await pgPool.query<{ table_schema: string; table_name: string }>(
          `select table_schema, table_name from information_schema.tables
            where table_schema = any($1) and table_type = 'BASE TABLE' order by 1, 2`,
          [[names.user, names.registration]],
        );
        if (tables.length === 0) throw new Error(`no tables in schemas ${names.user}, ${names.registration}`);
        const texts: string[] = [];
        for (const { table_schema, table_name } of tables) {
          const { rows } = await pgPool.query<{ row: string }>(`select t::text as row from "${table_schema}"."${table_name}" t`);
          texts.push(`${table_schema}.${table_name}: ${rows.map((row) => row.row).join('\n')}`);
        }
        return texts.join('\n');
      }
      if (mongo !== undefined) {
        const texts: string[] = [];
        for (const database of [names.user, names.registration]) {
          const db = mongo.db(database);
          const collections = await db.listCollections().toArray();
          if (collections.length === 0) throw new Error(`no collections in database ${database}`);
          for (const { name } of collections) {
            const documents = await db.collection(name).find({}).toArray();
            texts.push(
              `${database}.${name}: ${JSON.stringify(documents, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}`,
            );
          }
        }
        return texts.join('\n');
      }
      throw new Error('no store');
    },
    stop,
    async cleanUp() {
      await stop();
      const problems: unknown[] = [];
      const attempt = async (work: () => Promise<unknown>) => {
        try {
          await work();
        } catch (error) {
          problems.push(error);
        }
      };
      if (pgPool !== undefined) {
        await attempt(() => pgPool.query(`drop schema if exists "${names.user}" cascade`));
        await attempt(() => pgPool.query(`drop schema if exists "${names.registration}" cascade`));
        await attempt(() => pgPool.end());
      }
      if (mongo !== undefined) {
        await attempt(() => mongo.db(names.user).dropDatabase());
        await attempt(() => mongo.db(names.registration).dropDatabase());
        await attempt(() => mongo.close());
      }
      await attempt(async () => {
        const mine = await topics();
        if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 });
      });
      await attempt(async () => {
        const { groups } = await admin.listGroups();
        const mine = groups.map((group) => group.groupId).filter((group) => group.startsWith(run) || group.includes(run));
        if (mine.length > 0) await admin.deleteGroups(mine);
      });
      await attempt(() => admin.disconnect());
      if (problems.length > 0) throw new AggregateError(problems, `clean-up of ${run} failed`);
    },
  };

  try {
    await users.start();
    await registrations.start();
    const userApi = await users.listen({ port: 0, host: '127.0.0.1' });
    const registrationApi = await registrations.listen({ port: 0, host: '127.0.0.1' });
    return Object.assign(stack, { userApi, registrationApi });
  } catch (error) {
    await stack.cleanUp().catch(() => undefined);
    throw error;
  }

  function safeJson(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  async function readWholeTopic(client: Kafka, kafkaAdmin: ReturnType<Kafka['admin']>, topic: string): Promise<IncomingMessage[]> {
    const offsets = await kafkaAdmin.fetchTopicOffsets(topic);
    const ends = new Map(offsets.map((offset) => [offset.partition, BigInt(offset.high)]));
    const wanted = offsets.reduce((sum, offset) => sum + Number(BigInt(offset.high) - BigInt(offset.low)), 0);
    if (wanted === 0) return [];
    const groupId = `${run}-reader-${randomBytes(4).toString('hex')}`;
    const consumer = client.consumer({ groupId, maxWaitTimeInMs: 200 });
    const messages: IncomingMessage[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (BigInt(message.offset) >= (ends.get(partition) ?? 0n)) return;
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
          }
          messages.push({
            topic,
            partition,
            offset: message.offset,
            key: message.key === null ? null : decoder.decode(message.key),
            value: new Uint8Array(message.value ?? new Uint8Array()),
            headers,
            timestamp: new Date(Number(message.timestamp)),
          });
          if (messages.length >= wanted) done();
        },
      });
      await Promise.race([
        finished,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`read ${messages.length} of ${wanted} messages of ${topic}`)), 30_000),
        ),
      ]);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await kafkaAdmin.deleteGroups([groupId]).catch(() => undefined);
    }
    return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  }
}
