/**
 * Helpers of this package's integration tests: clients on the test server and a fresh database
 * per suite, dropped at teardown. The server comes from test/support/services.ts, which throws (so
 * the tests fail, never skip) when it is missing.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { requireMongoUrl } from '../../../test/support/services.js';

export { isManagedByScript, requireMongoUrl, servicesScript, setupOrFailEach } from '../../../test/support/services.js';

/** A database name no other suite or run uses. */
export function freshDatabase(label: string): string {
  return `ef_${label}_${randomBytes(5).toString('hex')}`;
}

/** A connected client on the test server; each one stands for a separate process in race tests. */
export async function testClient(options: MongoClientOptions = {}): Promise<MongoClient> {
  const client = new MongoClient(await requireMongoUrl(), { serverSelectionTimeoutMS: 10_000, ...options });
  await client.connect();
  return client;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
