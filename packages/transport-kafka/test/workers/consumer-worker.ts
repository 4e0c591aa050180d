/**
 * Core's idempotent consumer in its own process, for the consumer-crash test. With CRASH_AFTER=n
 * it SIGKILLs itself right after the n-th message's inbox record and effect COMMITTED in
 * PostgreSQL — before the transport commits the offset — the window where a redelivery must not
 * apply the effect twice. Without it, it runs until EXPECTED effects exist and its lag is 0,
 * then prints "done" and exits 0.
 *
 * INBOX=pipeline (default): the test's plain-pg inbox, one transaction per message, `handle`.
 * INBOX=store: the store's own inbox with `runBatch` and a `handleBatch` that writes the effects of
 * a delivered batch in one statement, one transaction per batch; the crash then comes right after
 * the commit of the batch that reached n.
 */
import { consumer, type Inbox, type InboxOutcome } from '@eventfold/core';
import { kafkaTransport } from '@eventfold/transport-kafka';
import { applyEffects, effectCount, noteSkips, pipelineInbox, pipelinePool, pipelineStore } from '../pipeline.js';
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
const useStoreInbox = process.env.INBOX === 'store';
const transport = kafkaTransport({
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: 'eventfold-test-consumer-worker',
  logLevel: 'nothing',
  // Small fetches keep each delivered batch to tens of messages, so a run dies near CRASH_AFTER
  // instead of applying a whole partition in one batch and leaving the next runs nothing to do.
  consumer: { ...fastConsumer, partitionsConsumedConcurrently: 6, maxBytesPerPartition: 32_768 },
});
let processed = 0;
/** Counts what took effect, and dies once `crashAfter` is reached: the offset is not committed yet. */
function counted(outcomes: readonly InboxOutcome[]): void {
  processed += outcomes.filter((outcome) => outcome === 'processed').length;
  if (crashAfter > 0 && processed >= crashAfter) process.kill(process.pid, 'SIGKILL');
}

const settings = { transport, name, group: env('GROUP'), topics: env('TOPICS').split(',') };
const closers: (() => Promise<void>)[] = [];
const projector = useStoreInbox ? storeInboxConsumer() : pipelineInboxConsumer();

function pipelineInboxConsumer() {
  const inbox = pipelineInbox(pool, schema);
  return consumer({
    ...settings,
    inbox: {
      has: (consumerName, messageId) => inbox.has(consumerName, messageId),
      async runOnce(consumerName, messageId, work) {
        const outcome = await inbox.runOnce(consumerName, messageId, work);
        counted([outcome]);
        return outcome;
      },
    },
    handle: (event) => inbox.applyEffect(name, event),
  });
}

function storeInboxConsumer() {
  const store = pipelineStore(pool, schema);
  closers.push(() => store.close());
  const duplicatesOf = (ids: readonly string[], outcomes: readonly InboxOutcome[]) =>
    ids.filter((_, index) => outcomes[index] === 'duplicate');
  const inbox: Inbox = {
    has: (consumerName, messageId) => store.inbox.has(consumerName, messageId),
    async runOnce(consumerName, messageId, work) {
      const outcome = await store.inbox.runOnce(consumerName, messageId, () => work());
      await noteSkips(pool, schema, consumerName, duplicatesOf([messageId], [outcome]));
      counted([outcome]);
      return outcome;
    },
    async runBatch(consumerName, messageIds, work) {
      const outcomes = await store.inbox.runBatch(consumerName, messageIds, (fresh) => work(fresh));
      await noteSkips(pool, schema, consumerName, duplicatesOf(messageIds, outcomes));
      counted(outcomes);
      return outcomes;
    },
  };
  return consumer({
    ...settings,
    inbox,
    handleBatch: async (events) => {
      const tx = store.currentTransaction();
      if (tx === undefined) throw new Error('handleBatch runs only inside the store inbox transaction');
      await applyEffects(tx, schema, name, events);
    },
  });
}

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
for (const close of closers) await close();
await pool.end();
console.log(`done ${processed}`);
