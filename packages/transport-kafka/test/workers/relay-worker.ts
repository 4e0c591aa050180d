/**
 * A relay in its own process, for the relay-crash test, which SIGKILLs it at random points.
 * The source is an in-memory store that every start seeds with the same events (same ids, same
 * positions); the relay's checkpoint lives in PostgreSQL, so a restarted relay resumes where the
 * killed one last moved it. Prints "done" and exits 0 once everything is relayed.
 */
import { inMemoryEventStore, relay } from '@eventfold/core';
import { kafkaTransport } from '@eventfold/transport-kafka';
import { appendScenario, pipelineCheckpoints, pipelinePool, scenarioEvents, withSideStores } from '../pipeline.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`relay-worker: ${name} is not set`);
  return value;
};

const pool = pipelinePool(env('DATABASE_URL'), 4);
const schema = env('PIPELINE_SCHEMA');
const memory = inMemoryEventStore();
await appendScenario(memory, scenarioEvents(Number(env('EVENTS')), Number(env('STREAMS'))), 50);
const store = withSideStores(memory, { checkpoints: pipelineCheckpoints(pool, schema) });
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
});
console.log('started');
const result = await outbox.runOnce();
await outbox.stop();
await transport.close();
await pool.end();
console.log(`done ${result.published} ${result.checkpoint}`);
