// The service on a real PostgreSQL that really goes away: the service reaches the server through a TCP
// proxy of the test's own, and the test closes the proxy's port (and every connection through it) — the
// server itself keeps running for everyone else. Needs the PostgreSQL of `bash scripts/services up`.
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { PostgresEventStore } from '@eventfold/store-postgres';
import { afterAll, expect, it } from 'vitest';
import { requirePostgresUrl, setupOrFailEach } from '../../../test/support/services.js';
import { passwordHasher } from './application/password-hasher.js';
import { loadConfig } from './config.js';
import { createUserService, type UserService } from './create-user-service.js';
import { connectInfrastructure, type Infrastructure } from './infrastructure.js';

/** A TCP proxy to `target` on a port of its own, that can be closed (refusing connections) and opened again. */
async function tcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const listening = createServer((client) => {
        const upstream = createConnection(target);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as { port: number }).port;
        server = listening;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return port;
    },
    open,
    /** Stops listening (the port refuses connections) and cuts every connection through the proxy. */
    async close() {
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (closing === undefined ? resolve() : closing.close(() => resolve())));
    },
  };
}

let proxy: Awaited<ReturnType<typeof tcpProxy>>;
let infrastructure: Infrastructure;
let service: UserService;
const logs: string[] = [];
const schema = `outage_${randomBytes(5).toString('hex')}`;

setupOrFailEach(async () => {
  const databaseUrl = new URL(await requirePostgresUrl());
  proxy = await tcpProxy({ host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });
  const throughProxy = new URL(databaseUrl);
  throughProxy.hostname = '127.0.0.1';
  throughProxy.port = String(proxy.port);
  // No KAFKA_BROKERS: the in-memory transport, so the store is the only thing that fails.
  const config = loadConfig({
    DATABASE_URL: throughProxy.toString(),
    DATABASE_SCHEMA: schema,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_PASSES: '1',
    SCRYPT_LOG2_COST: '14',
  });
  infrastructure = await connectInfrastructure(config.adapters);
  service = createUserService({
    store: infrastructure.store,
    transport: infrastructure.transport,
    passwordHasher: passwordHasher({
      argon2id: { memoryKiB: config.argon2MemoryKiB, passes: config.argon2Passes },
      scrypt: { log2Cost: config.scryptLog2Cost },
    }),
    log: { level: 'warn', stream: { write: (line) => void logs.push(line) } },
    readinessChecks: infrastructure.readinessChecks,
  });
  await service.start();
}, 60_000);

afterAll(async () => {
  await proxy?.open().catch(() => undefined); // the schema is dropped through the proxy
  await service?.stop();
  const pool = (infrastructure?.store as PostgresEventStore | undefined)?.pool;
  if (pool !== undefined) {
    const client = await pool.connect();
    try {
      await client.query({ text: `drop schema if exists "${schema}" cascade` });
    } finally {
      client.release();
    }
  }
  await infrastructure?.close();
  await proxy?.close();
}, 60_000);

const register = (username: string) =>
  service.app.inject({
    method: 'POST',
    url: '/users',
    payload: { username, email: `${username}@gmail.com`, password: 'Outage123!', fullName: 'Ada Lovelace' },
  });

it('answers 503 with retry-after while PostgreSQL is unreachable, /ready says so, and both recover when it is back', async () => {
  // Other suites may restart the shared server now and then: start from a ready service.
  await untilReady();
  expect((await register('before1')).statusCode).toBe(201);

  await proxy.close();
  const started = Date.now();
  const refused = await register('during1');
  expect(refused.statusCode, refused.body).toBe(503);
  expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(refused.headers['retry-after']).toMatch(/^\d+$/);
  expect(Date.now() - started).toBeLessThan(30_000);
  const notReady = await service.app.inject({ method: 'GET', url: '/ready' });
  expect(notReady.statusCode).toBe(503);
  expect(JSON.parse(notReady.body)).toMatchObject({ status: 'not ready', checks: { store: 'failed' } });

  await proxy.open();
  await untilReady();
  expect((await register('after1')).statusCode).toBe(201);
});

async function untilReady(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await service.app.inject({ method: 'GET', url: '/ready' });
    if (ready.statusCode === 200) return;
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms: ${ready.body}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
