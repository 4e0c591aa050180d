/**
 * HTTP load on the example services: user-service and registration-service started as child
 * processes from their own `main.ts` (as they are deployed) on PostgreSQL + Kafka, each on a fresh schema
 * and topic prefix for this run (dropped and deleted at the end), logging at `warn`; autocannon drives
 * them over loopback from this process. The baseline is the ceiling of the HTTP stack: a bare Fastify
 * (the services' version) in a child process of its own, answering the same requests with a fixed JSON
 * body of the same shape, with no validation, store, broker, hashing or metrics.
 *
 * The load, per endpoint:
 * - `POST /conferences/:id/registrations`: `USERS` users (registered through `POST /users` during set-up,
 *   and known to registration-service through `user.created` before timing starts) register for
 *   `CONFERENCES` conferences scheduled afresh before each of our runs, each with a seat for every user.
 *   Request k registers user ⌊k / CONFERENCES⌋ for conference k mod CONFERENCES, so every request is a
 *   new (user, conference) pair, consecutive requests hit different conferences, and each conference's
 *   stream stays short (at most `USERS` + 1 events, loaded whole per command: no snapshots). Every answer
 *   should be 201; after each run the registered counts of all conferences must add up to the 201s (plus
 *   at most the requests cut off in flight as the run ended), or the suite fails. One hot conference
 *   (writers contending on one stream) is a different workload, not measured here.
 * - `GET /users/:id`: the seeded users in turn (the users projection, in memory).
 * - `POST /users`: a new valid user per request; its cost is the password hash, at the service's default
 *   parameters (argon2id, m = 19 MiB, t = 2, p = 1). The facts show the algorithm and parameters read back
 *   from a stored hash, and one hash's time with them on this machine.
 *
 * Fixed rates: autocannon's rate limit lets each connection send its quota for a second back to back at
 * the start of the second, which would turn 500 req/s into one burst a second. So a fixed rate runs as
 * `RATE_CONNECTIONS` single-connection instances whose seconds start evenly spread over one second
 * (100 connections at 5 req/s: a connection starts its 5 requests every 10 ms). Each connection is closed
 * loop, so a slow answer delays that connection's next request: the achieved req/s is reported beside
 * the offered rate (it may read a few % above it: autocannon can start one more second's quota just as
 * a run ends). Max-throughput runs are one instance of `MAX_CONNECTIONS` connections, no limit.
 * Latencies are every response's time as autocannon measured it (p50/p95/p99 by nearest rank, errors
 * included); `failures` counts non-2xx answers and request errors (timeouts, resets) over all rounds.
 * A few seconds of reads and writes warm every process up before the first round. autocannon shares the
 * machine with the services, PostgreSQL and Kafka, so max-throughput figures are the machine's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { argon2, randomBytes, scrypt } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kafkajs from 'kafkajs';
import pg from 'pg';
import type { Suite, Workload } from '../harness.js';

const url = process.env.DATABASE_URL;
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const USERS = 50;
const CONFERENCES = 600; // 30,000 (user, conference) pairs per run: more than 10 s at max throughput sends
const RATE_CONNECTIONS = 100;
const MAX_CONNECTIONS = 32;
const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples');

// --- autocannon (no types of its own: just what we use) -------------------------------------------

interface LoadRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AutocannonResult {
  duration: number;
  errors: number;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  connectionRate?: number;
  requests: { setupRequest: (request: LoadRequest) => LoadRequest }[];
}) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** What one run measured. */
interface RunFigures {
  p50: number;
  p95: number;
  p99: number;
  perSecond: number;
  failures: number;
  statuses: Map<number, number>;
  /** Requests sent, answered or not (autocannon drops those in flight when a run ends). */
  sent: number;
  answered: number;
}

function percentile(sorted: Float64Array, share: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] as number);
}

/** A load run: at `rate` req/s (spread as described above) or, without one, as fast as `connections` go. */
async function load(
  base: string,
  next: () => LoadRequest,
  { rate, connections = MAX_CONNECTIONS, seconds = SECONDS }: { rate?: number | undefined; connections?: number; seconds?: number },
): Promise<RunFigures> {
  const latencies: number[] = [];
  let sent = 0;
  const statuses = new Map<number, number>();
  const instances = rate === undefined ? 1 : Math.min(RATE_CONNECTIONS, rate);
  const perConnection = rate === undefined ? undefined : rate / instances;
  if (perConnection !== undefined && !Number.isInteger(perConnection)) throw new Error(`rate ${rate} is not a multiple of ${instances}`);
  const results = await Promise.all(
    Array.from({ length: instances }, async (_, i) => {
      await sleep((i * 1000) / instances);
      const instance = autocannon({
        url: base,
        connections: rate === undefined ? connections : 1,
        duration: seconds,
        ...(perConnection === undefined ? {} : { connectionRate: perConnection }),
        // autocannon builds each request just before it writes it, so this counts the requests sent.
        requests: [
          {
            setupRequest: (request) => {
              sent++;
              return { ...request, ...next() };
            },
          },
        ],
      });
      instance.on('response', (_client, status, _bytes, ms) => {
        latencies.push(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      });
      return await instance;
    }),
  );
  const sorted = Float64Array.from(latencies).sort();
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  const non2xx = [...statuses].reduce((sum, [status, count]) => sum + (status >= 200 && status < 300 ? 0 : count), 0);
  // Each instance runs `seconds` from its own (staggered) start: the achieved rate is the responses over that span.
  const meanDuration = results.reduce((sum, result) => sum + result.duration, 0) / results.length;
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    perSecond: latencies.length / meanDuration,
    failures: non2xx + errors,
    statuses: errors === 0 ? statuses : new Map([...statuses, [0, errors]]),
    sent,
    answered: latencies.length,
  };
}

// --- the processes --------------------------------------------------------------------------------

interface Service {
  base: string;
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Spawns a server on a free port and waits until `probe` answers 200; fails if the process exits first. */
async function spawnServer(what: string, cwd: string, args: string[], env: Record<string, string>, probe: string): Promise<Service> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, MONGO_URL: '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (let up = false; !up; ) {
    const code = await Promise.race([exited, sleep(200).then(() => 'running' as const)]);
    if (code !== 'running') throw new Error(`http-services bench: ${what} exited (${code}) before it was ready`);
    up = await fetch(`${base}${probe}`).then(
      (response) => response.ok,
      () => false,
    );
    if (!up && Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`http-services bench: ${what} was not ready within 90 s`);
    }
  }
  return {
    base,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      if ((await Promise.race([exited, sleep(20_000).then(() => 'hung' as const)])) === 'hung') child.kill('SIGKILL');
    },
  };
}

const startService = (name: string, env: Record<string, string>) =>
  spawnServer(name, join(examples, name), ['--conditions=@eventfold/source', '--import', 'tsx', 'src/main.ts'], env, '/ready');

/** The baseline: the same routes on a bare Fastify, answering a fixed envelope. */
const BARE_FASTIFY = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
const envelope = (data) => ({ success: true, data, meta: { requestId: 'baseline', timestamp: new Date().toISOString() } });
const id = '0190b7a2-0000-7000-8000-000000000000';
app.post('/users', async (_request, reply) => reply.code(201).send(envelope({ userId: id })));
app.get('/users/:id', async (request) => envelope({ userId: request.params.id, username: 'bench', email: 'bench@gmail.com', fullName: 'Bench User' }));
app.post('/conferences/:id/registrations', async (request, reply) =>
  reply.code(201).send(envelope({ conferenceId: request.params.id, userId: String(request.body.userId), seatsLeft: 1 })));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;
const startBaseline = () =>
  spawnServer('bare Fastify', join(examples, 'user-service'), ['--input-type=module', '--eval', BARE_FASTIFY], {}, `/users/ready`);

// --- requests -------------------------------------------------------------------------------------

const json = (method: string, path: string, body: unknown): LoadRequest => ({
  method,
  path,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

/** Runs `work` over `items` with `concurrency` at a time. */
async function eachLimited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

let newUsers = 0;
const runTag = process.pid.toString(36);
function newUser(): { username: string; email: string; password: string; fullName: string } {
  const username = `b${runTag}n${newUsers++}`;
  return { username, email: `${username}@gmail.com`, password: 'Secret123!', fullName: 'Bench User' };
}

// --- state of the run -----------------------------------------------------------------------------

const schemas = { user: `bench_http_${runTag}_users`, registration: `bench_http_${runTag}_regs` };
const topicPrefix = `bench-http-${runTag}.`;
let pool: InstanceType<typeof pg.Pool>;
let admin: ReturnType<InstanceType<typeof kafkajs.Kafka>['admin']>;
let users: Service | undefined;
let registrations: Service | undefined;
let baseline: Service | undefined;
const userIds: string[] = [];

async function seedUsers(): Promise<void> {
  await eachLimited(Array.from({ length: USERS }), 4, async () => {
    const reply = await call((users as Service).base, 'POST', '/users', newUser());
    if (reply.status !== 201) throw new Error(`http-services bench: seeding a user answered ${reply.status}`);
    userIds.push(reply.body.data.userId);
  });
  const deadline = Date.now() + 120_000;
  for (const id of userIds) {
    while ((await call((registrations as Service).base, 'GET', `/known-users/${id}`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('http-services bench: registration-service did not learn the seeded users');
      await sleep(50);
    }
    while ((await call((users as Service).base, 'GET', `/users/${id}`)).status !== 200) await sleep(50);
  }
}

async function scheduleConferences(): Promise<string[]> {
  const ids: string[] = [];
  const startsAt = new Date(Date.now() + 90 * 86_400_000).toISOString();
  await eachLimited(Array.from({ length: CONFERENCES }), 8, async () => {
    const reply = await call((registrations as Service).base, 'POST', '/conferences', { title: 'BenchConf', startsAt, capacity: USERS });
    if (reply.status !== 201) throw new Error(`http-services bench: scheduling a conference answered ${reply.status}`);
    ids.push(reply.body.data.conferenceId);
  });
  return ids;
}

/** Request k: user ⌊k / conferences⌋ registers for conference k mod conferences. */
function registrationRequests(conferenceIds: readonly string[]): () => LoadRequest {
  let k = 0;
  return () => {
    const conference = conferenceIds[k % conferenceIds.length] as string;
    const userId = userIds[Math.floor(k / conferenceIds.length) % userIds.length] as string;
    k++;
    return json('POST', `/conferences/${conference}/registrations`, { userId });
  };
}

async function registered(conferenceIds: readonly string[]): Promise<number> {
  let total = 0;
  await eachLimited(conferenceIds, 8, async (id) => {
    const reply = await call((registrations as Service).base, 'GET', `/conferences/${id}`);
    total += reply.body.data.registered as number;
  });
  return total;
}

// --- scenarios ------------------------------------------------------------------------------------

interface Scenario {
  name: string;
  ours(): Promise<RunFigures>;
  baseline(): Promise<RunFigures>;
}

const fakeConferences = Array.from({ length: CONFERENCES }, () => randomBytes(8).toString('hex'));

function registrationScenario(rate: number | undefined): Scenario {
  return {
    name: `registrations-${rate === undefined ? 'max' : `at-${rate}-per-s`}`,
    async ours() {
      const conferenceIds = await scheduleConferences();
      const figures = await load((registrations as Service).base, registrationRequests(conferenceIds), { rate });
      // Every 201 must be stored; requests still in flight when the run ended may be stored too.
      const created = figures.statuses.get(201) ?? 0;
      const unanswered = figures.sent - figures.answered;
      const stored = await registered(conferenceIds);
      if (stored < created || stored > created + unanswered) {
        throw new Error(`http-services bench: ${created} registrations answered 201 (${unanswered} unanswered), ${stored} stored`);
      }
      return figures;
    },
    baseline: async () => load((baseline as Service).base, registrationRequests(fakeConferences), { rate }),
  };
}

/** Request k reads seeded user k mod USERS. */
function userReads(): () => LoadRequest {
  let k = 0;
  return () => ({ method: 'GET', path: `/users/${userIds[k++ % userIds.length]}` });
}

function getUserScenario(rate: number | undefined): Scenario {
  return {
    name: `get-user-${rate === undefined ? 'max' : `at-${rate}-per-s`}`,
    ours: () => load((users as Service).base, userReads(), { rate }),
    baseline: () => load((baseline as Service).base, userReads(), { rate }),
  };
}

function postUserScenario(rate: number | undefined, connections: number): Scenario {
  const requests = () => json('POST', '/users', newUser());
  return {
    name: `post-user-${rate === undefined ? `max-${connections}-connections` : `at-${rate}-per-s`}`,
    ours: () => load((users as Service).base, requests, { rate, connections }),
    baseline: () => load((baseline as Service).base, requests, { rate, connections }),
  };
}

/**
 * One run per round and side gives every figure: the first workload of a scenario runs it, the others
 * report the same round's figures (runSuite finishes all rounds of a workload before the next);
 * `failures` is the sum over all rounds, so one bad round cannot hide behind a median.
 */
function workloadsOf(scenario: Scenario): Workload[] {
  const runs = { ours: [] as RunFigures[], baseline: [] as RunFigures[] };
  const rows: [string, string, string, boolean, (runs: RunFigures[], round: number) => number][] = [
    ['p50', 'latency-p50', 'ms', false, (all, round) => (all[round] as RunFigures).p50],
    ['p95', 'latency-p95', 'ms', false, (all, round) => (all[round] as RunFigures).p95],
    ['p99', 'latency-p99', 'ms', false, (all, round) => (all[round] as RunFigures).p99],
    ['throughput', 'throughput', 'req/s', true, (all, round) => (all[round] as RunFigures).perSecond],
    ['failures', 'failures-all-rounds', 'responses', false, (all) => all.reduce((sum, run) => sum + run.failures, 0)],
  ];
  return rows.map(([label, metric, unit, higherIsBetter, figure], index) => {
    const calls = { ours: 0, baseline: 0 };
    const measure = (side: 'ours' | 'baseline') => async () => {
      const round = calls[side]++;
      if (index === 0) {
        const figures = await scenario[side]();
        const statuses = [...figures.statuses].map(([status, count]) => `${status || 'error'}: ${count}`).join(', ');
        console.log(
          `  (${side} ${scenario.name}: ${figures.perSecond.toFixed(0)} req/s, p50/p95/p99 ${[figures.p50, figures.p95, figures.p99].map((v) => v.toFixed(1)).join('/')} ms; ${statuses})`,
        );
        runs[side].push(figures);
      }
      return figure(runs[side], round);
    };
    return { name: `${scenario.name}-${label}`, metric, unit, higherIsBetter, ours: measure('ours'), baseline: measure('baseline') };
  });
}

/** A PHC hash string as user-service stores it, read back: the algorithm and the parameters it used. */
interface StoredHash {
  readonly description: string;
  /** One hash with the same algorithm and parameters. */
  readonly hashOnce: (callback: (error: Error | null) => void) => void;
}

function storedHash(encoded: string): StoredHash | undefined {
  const argon = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(encoded);
  if (argon !== null) {
    const [memory, passes, parallelism] = [Number(argon[2]), Number(argon[3]), Number(argon[4])];
    return {
      description: `argon2id v=${argon[1]}, m=${memory} KiB, t=${passes}, p=${parallelism}`,
      hashOnce: (callback) =>
        argon2('argon2id', { message: 'Secret123!', nonce: randomBytes(16), memory, passes, parallelism, tagLength: 32 }, callback),
    };
  }
  const scryptParams = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$/.exec(encoded);
  if (scryptParams !== null) {
    const [ln, r, p] = [Number(scryptParams[1]), Number(scryptParams[2]), Number(scryptParams[3])];
    return {
      description: `scrypt N=2^${ln}, r=${r}, p=${p}`,
      hashOnce: (callback) =>
        scrypt('Secret123!', randomBytes(16), 32, { N: 2 ** ln, r, p, maxmem: 128 * 2 ** ln * r + 2 ** 20 }, callback),
    };
  }
  return undefined;
}

function hashMs(stored: StoredHash): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) =>
    stored.hashOnce((error) => (error === null ? resolve(performance.now() - started) : reject(error))),
  );
}

const suite: Suite = {
  name: 'http-services',
  baseline:
    'a bare Fastify (the same version, its own child process) answering the same requests with a fixed JSON envelope: the HTTP stack alone, no validation, store, broker, hashing or metrics',
  async facts() {
    const setting = async (name: string) => String((await pool.query('select current_setting($1) as v', [name])).rows[0].v);
    const { rows } = await pool.query(
      `select data->>'passwordHash' as hash from ${schemas.user}.events where type = 'user.password-set' limit 1`,
    );
    const stored = storedHash(String(rows[0]?.hash));
    const perHash =
      stored === undefined ? undefined : [await hashMs(stored), await hashMs(stored), await hashMs(stored)].sort((a, b) => a - b)[1];
    return {
      postgres: String((await pool.query('select version() as v')).rows[0].v).split(' on ')[0] ?? '',
      fsync: await setting('fsync'),
      synchronous_commit: await setting('synchronous_commit'),
      kafka: `KRaft, ${(await admin.describeCluster()).brokers.length} broker(s)`,
      services: 'user-service and registration-service as child processes (their main.ts), PostgreSQL + Kafka, LOG_LEVEL=warn',
      load: `autocannon 9.0.0 on loopback, ${SECONDS} s per run; fixed rates over ${RATE_CONNECTIONS} staggered connections, max runs ${MAX_CONNECTIONS} connections`,
      data: `${USERS} users; ${CONFERENCES} conferences of ${USERS} seats scheduled afresh for each registrations run`,
      passwordHash: stored === undefined ? 'no stored hash found' : `${stored.description} (read from a stored hash)`,
      passwordHashMs:
        perHash === undefined
          ? 'not measured'
          : `${perHash.toFixed(1)} (median of 3 with those parameters, in the bench process, no load running)`,
    };
  },
  async setup() {
    if (!url || brokers.length === 0)
      throw new Error('DATABASE_URL and KAFKA_BROKERS must be set: bash scripts/services up && eval "$(bash scripts/services env)"');
    pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => undefined);
    admin = new kafkajs.Kafka({ brokers, clientId: 'bench-http-services', logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    const common = { DATABASE_URL: url, KAFKA_BROKERS: brokers.join(','), TOPIC_PREFIX: topicPrefix, LOG_LEVEL: 'warn' };
    // The password hash at the service's defaults: empty variables count as unset.
    const defaultHashing = { ARGON2_MEMORY_KIB: '', ARGON2_PASSES: '', SCRYPT_LOG2_COST: '' };
    users = await startService('user-service', { ...common, ...defaultHashing, DATABASE_SCHEMA: schemas.user });
    registrations = await startService('registration-service', { ...common, DATABASE_SCHEMA: schemas.registration });
    baseline = await startBaseline();
    console.log(`  (seeding ${USERS} users through POST /users, password hashes at the service's defaults)`);
    await seedUsers();
    // Warm-up (JIT, pools, connections): a few seconds of each read and write, not measured.
    const conferenceIds = await scheduleConferences();
    await load(registrations.base, registrationRequests(conferenceIds), { rate: 200, seconds: 3 });
    await load(users.base, userReads(), { rate: 500, seconds: 3 });
    await load(baseline.base, registrationRequests(fakeConferences), { rate: 500, seconds: 3 });
  },
  async teardown() {
    await Promise.allSettled([users?.stop(), registrations?.stop(), baseline?.stop()]);
    for (const schema of Object.values(schemas)) await pool?.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    const topics = (await admin?.listTopics().catch(() => [] as string[])) ?? [];
    const ours = topics.filter((topic) => topic.startsWith(topicPrefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 60_000 }).catch(() => undefined);
    // registration-service's consumer group carries the topic prefix too.
    const { groups } = (await admin?.listGroups().catch(() => undefined)) ?? { groups: [] };
    const groupIds = groups.map((group) => group.groupId).filter((id) => id.startsWith(topicPrefix));
    if (groupIds.length > 0) await admin.deleteGroups(groupIds).catch(() => undefined);
    await admin?.disconnect();
    await pool?.end();
  },
  async workloads() {
    return [
      registrationScenario(500),
      registrationScenario(undefined),
      getUserScenario(1_000),
      getUserScenario(undefined),
      postUserScenario(2, 2),
      postUserScenario(undefined, 4),
    ].flatMap(workloadsOf);
  },
};

export default suite;
