/**
 * A relay in its own process, for the relay-crash test, which SIGKILLs it at random points. The
 * source is the PostgreSQL event store the test appends to; its log, the relay's checkpoint and
 * its lease are in PostgreSQL, so a restarted relay takes over once the killed one's lease lapses
 * and resumes from the last checkpoint. With RUN_ONCE=1 it relays everything there is (waiting for
 * the lease), prints "done" and exits 0; otherwise it relays in the background until killed.
 */
import { relay } from '@eventfold/core';
import { kafkaTransport } from '@eventfold/transport-kafka';
import { pipelinePool, pipelineStore } from '../pipeline.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`relay-worker: ${name} is not set`);
  return value;
};

const pool = pipelinePool(env('DATABASE_URL'), 4);
const store = pipelineStore(pool, env('PIPELINE_SCHEMA'));
const transport = kafkaTransport({
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: 'eventfold-test-relay-worker',
  logLevel: 'nothing',
});
const outbox = relay({
  store,
  transport,
  routes: { user: env('USERS_TOPIC'), registration: env('REGISTRATIONS_TOPIC') },
  batchSize: Number(env('RELAY_BATCH')),
  // A killed relay keeps its lease until it lapses: short, so the test's restarts take over quickly.
  leaseTtlMs: 1_000,
  pollIntervalMs: 50,
  onError: (error) => console.error(`relay-worker: ${String(error)}`),
});
if (process.env.RUN_ONCE === '1') {
  let result = await outbox.runOnce();
  while (!result.leader) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    result = await outbox.runOnce();
  }
  await outbox.stop();
  await transport.close();
  await store.close();
  await pool.end();
  console.log(`done ${result.published}`);
} else {
  outbox.start();
  console.log('started');
}
