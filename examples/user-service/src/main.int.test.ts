// `main.ts` as a process, as `pnpm start` runs it, on the real PostgreSQL and Kafka: it starts from the
// environment, serves, and on SIGTERM shuts down gracefully and exits 0. A server it cannot reach stops
// the start-up with exit 1, without printing the URL's password. Needs `bash scripts/services up`.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { repoRoot, requireKafkaBrokers, requirePostgresUrl, setupOrFailEach } from '../../../test/support/services.js';

const serviceDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = resolve(repoRoot, 'node_modules/.bin/tsx');
const run = `main_${randomBytes(5).toString('hex')}`;
let databaseUrl: string;
let kafkaBrokers: string[];
const children = new Set<ChildProcess>();

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const { DATABASE_URL: _d, MONGO_URL: _m, KAFKA_BROKERS: _k, ...inherited } = process.env;
  const child = spawn(tsx, ['--conditions=@eventfold/source', 'src/main.ts'], {
    cwd: serviceDir,
    env: { ...inherited, PORT: '0', ARGON2_MEMORY_KIB: '1024', ARGON2_PASSES: '1', SCRYPT_LOG2_COST: '14', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolveExit(code);
    }),
  );
  return { child, output: () => output, exited };
}

async function until<T>(what: string, attempt: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

setupOrFailEach(async () => {
  databaseUrl = await requirePostgresUrl();
  kafkaBrokers = await requireKafkaBrokers();
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (databaseUrl === undefined) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`drop schema if exists "${run}" cascade`);
  await client.end();
  const admin = new Kafka({ brokers: kafkaBrokers, clientId: run, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${run}.`));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  await admin.disconnect();
}, 60_000);

it('starts on PostgreSQL and Kafka from the environment, serves, and exits 0 after a graceful shutdown on SIGTERM', async () => {
  const service = start({
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    DATABASE_SCHEMA: run,
    TOPIC_PREFIX: `${run}.`,
  });
  const address = await until('the service to listen', () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(service.output())?.[1]);
  await until('the start-up line', () => (service.output().includes('user-service started') ? true : undefined));
  expect(service.output()).toContain(`"adapters":"PostgreSQL event store (schema ${run}), Kafka transport (${kafkaBrokers.join(',')})"`);
  expect(service.output()).toContain('"passwordHashing":"argon2id (m=1024 KiB, t=1, p=1)"');
  expect(service.output()).not.toContain('crypto.argon2');

  const ready = await fetch(`${address}/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ checks: { store: 'ok', transport: 'ok', broker: 'ok' } });
  const created = await fetch(`${address}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'mainada', email: 'mainada@gmail.com', password: 'Secret123!', fullName: 'Ada Lovelace' }),
  });
  expect(created.status).toBe(201);

  service.child.kill('SIGTERM');
  const code = await Promise.race([service.exited, new Promise((resolveWait) => setTimeout(() => resolveWait('timeout'), 30_000))]);
  expect(code, service.output()).toBe(0);
  expect(service.output()).toContain('shutting down');
  expect(service.output()).not.toContain('shutdown failed');
});

it('stops the start-up with exit 1 when the database cannot be reached, without printing the password of its URL', async () => {
  const service = start({ DATABASE_URL: 'postgres://ada:hunter2secret@127.0.0.1:1/users' });
  const code = await Promise.race([service.exited, new Promise((resolveWait) => setTimeout(() => resolveWait('timeout'), 60_000))]);
  expect(code, service.output()).toBe(1);
  expect(service.output()).toMatch(/StoreUnavailableError|unavailable|ECONNREFUSED/i);
  expect(service.output()).not.toContain('hunter2secret');
});
