/**
 * Helpers of this package's integration tests: a pool on the test server and a fresh schema per
 * suite, dropped at teardown. The server comes from test/support/services.ts, which throws (so the
 * tests fail, never skip) when it is missing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { requirePostgresUrl } from '../../../test/support/services.js';

export { isManagedByScript, requirePostgresUrl, servicesScript, setupOrFailEach } from '../../../test/support/services.js';

/** A schema name no other suite or run uses. */
export function freshSchema(label: string): string {
  return `ef_${label}_${randomBytes(5).toString('hex')}`;
}

/** A pool on the test server whose broken idle connections never crash the process. */
export async function testPool(config: pg.PoolConfig = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: await requirePostgresUrl(), connectionTimeoutMillis: 10_000, ...config });
  pool.on('error', () => undefined);
  return pool;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: await requirePostgresUrl() });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** A promise with its resolve function, to hold a transaction open until a test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Polls until `condition` resolves true, or fails after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
