/**
 * Core's idempotent consumer in its own process, for the consumer-crash test. With CRASH_AFTER=n
 * it SIGKILLs itself right after the n-th message's inbox record and effect COMMITTED in
 * PostgreSQL — before the transport commits the offset — the window where a redelivery must not
 * apply the effect twice. Without it, it runs until EXPECTED effects exist and its lag is 0,
 * then prints "done" and exits 0.
 */
import { consumer } from '@eventfold/core';
import { kafkaTransport } from '@eventfold/transport-kafka';
import { effectCount, pipelineInbox, pipelinePool } from '../pipeline.js';
import { fastConsumer } from '../support.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`consumer-worker: ${name} is not set`);
  return value;
};

const pool = pipelinePool(env('DATABASE_URL'), 8);
const schema = env('PIPELINE_SCHEMA');
const name = env('CONSUMER_NAME');
const crashAfter = Number(process.env.CRASH_AFTER ?? 0);
const expected = Number(env('EXPECTED'));
const transport = kafkaTransport({
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: 'eventfold-test-consumer-worker',
  logLevel: 'nothing',
  consumer: { ...fastConsumer, partitionsConsumedConcurrently: 6 },
});
const inbox = pipelineInbox(pool, schema);
let processed = 0;
const projector = consumer({
  transport,
  name,
  group: env('GROUP'),
  topics: env('TOPICS').split(','),
  inbox: {
    has: (consumerName, messageId) => inbox.has(consumerName, messageId),
    async runOnce(consumerName, messageId, work) {
      const outcome = await inbox.runOnce(consumerName, messageId, work);
      if (outcome === 'processed' && ++processed === crashAfter) process.kill(process.pid, 'SIGKILL');
      return outcome;
    },
  },
  handle: (event) => inbox.applyEffect(name, event),
});
await projector.start();
console.log('started');
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  // A failed count (PostgreSQL restarting) just means: look again.
  if ((await effectCount(pool, schema, name).catch(() => 0)) < expected) continue;
  const lag = await projector.lag();
  if (lag.length > 0 && lag.every((partition) => partition.lag === 0)) break;
}
await projector.stop();
await transport.close();
await pool.end();
console.log(`done ${processed}`);
