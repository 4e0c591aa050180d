import type { IncomingMessage, PartitionLag } from '@eventfold/core';
import type { KafkaClient, KafkaConsumer, KafkaEachBatchPayload, KafkaRetryOptions } from '../kafka-client.js';
import type { KafkaSubscribeOptions, KafkaSubscription } from '../kafka-subscription.js';
import { classifyKafkaError, isRebalanceError } from './classify-error.js';
import { toIncomingMessage } from './messages.js';
import { partitionPauses } from './partition-pauses.js';
import type { TopicAdmin } from './topic-admin.js';

/** Consumer settings of the transport, defaults applied. */
export interface ConsumerSettings {
  readonly sessionTimeout: number;
  readonly rebalanceTimeout: number;
  readonly heartbeatInterval: number;
  readonly maxWaitTimeInMs: number;
  readonly maxBytesPerPartition: number;
  readonly partitionsConsumedConcurrently: number;
  readonly maxBatchSize: number;
  readonly commitIntervalMs: number;
  readonly redeliveryDelayMs: number;
  readonly retry: KafkaRetryOptions | undefined;
}

/** What a member needs from its transport. */
export interface GroupMemberDeps {
  readonly client: KafkaClient;
  readonly topicAdmin: TopicAdmin;
  readonly settings: ConsumerSettings;
}

/** Longest wait between our own restarts of a consumer that kafkajs gave up on. */
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * One subscription: a kafkajs consumer in the group, run with `eachBatch`, `autoCommit: false`
 * and `eachBatchAutoResolve: false`, so an offset moves only when we say so.
 *
 * Per fetched batch, in chunks of `maxBatchSize` messages: hand the chunk to the handler; once it
 * resolves, the chunk counts as handled. Handled offsets are committed at the end of the batch,
 * when `commitIntervalMs` has passed since the last commit, and before leaving the batch early
 * (close, rebalance, a failing chunk); each commit is then resolved locally (which moves the fetch
 * position). When the handler throws, the chunks before it are committed, the failed one is not:
 * the partition is paused for `redeliveryDelayMs` and the next fetch starts again at the failed
 * chunk, while the other partitions keep flowing. Handler errors are never thrown into kafkajs, whose answer to
 * them is to stop every partition, retry, and finally restart the consumer (a rebalance).
 *
 * Rebalances: heartbeats keep running while a handler works; when one reports a rebalance, the
 * chunk in hand finishes and commits (Kafka accepts commits of the current generation until the
 * group has re-formed), no further chunk starts, and kafkajs rejoins. A member that was too slow
 * and lost its partitions fails the commit; the new owner redelivers that chunk, and the consumer's
 * inbox absorbs the repeat.
 */
export async function startGroupMember(
  deps: GroupMemberDeps,
  options: KafkaSubscribeOptions & { topics: string[] },
): Promise<KafkaSubscription> {
  const { client, topicAdmin, settings } = deps;
  const { group, topics, handler } = options;
  const fromBeginning = options.fromBeginning ?? true;
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // A throwing error callback must not change what happens to the batch.
    }
  };

  for (const topic of topics) await topicAdmin.ensureExists(topic);

  const consumer: KafkaConsumer = client.consumer({
    groupId: group,
    sessionTimeout: settings.sessionTimeout,
    rebalanceTimeout: settings.rebalanceTimeout,
    heartbeatInterval: settings.heartbeatInterval,
    maxWaitTimeInMs: settings.maxWaitTimeInMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    allowAutoTopicCreation: false,
    ...(settings.retry === undefined ? {} : { retry: settings.retry }),
  });
  const pauses = partitionPauses(consumer, topics, settings.redeliveryDelayMs);
  let assignment = new Map<string, number[]>();
  let rebalancing = false;
  let closing: Promise<void> | undefined;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  const noteRebalance = (error: unknown) => {
    if (isRebalanceError(error)) rebalancing = true;
  };

  async function handleChunk(payload: KafkaEachBatchPayload, chunk: readonly IncomingMessage[]): Promise<void> {
    // kafkajs heartbeats only between batches; a long handler would otherwise outlive the session.
    const beat = setInterval(() => void payload.heartbeat().catch(noteRebalance), settings.heartbeatInterval);
    beat.unref?.();
    try {
      await handler(chunk);
    } finally {
      clearInterval(beat);
    }
  }

  async function eachBatch(payload: KafkaEachBatchPayload): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    /** The last handled offset not committed yet. */
    let handled: string | undefined;
    let committedAt = Date.now();

    // Commit, then resolve (which moves the fetch position): if the commit fails, everything since
    // the last commit is fetched and delivered again rather than skipped.
    async function commit(): Promise<void> {
      if (handled === undefined) return;
      const last = handled;
      try {
        await payload.commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
        });
      } catch (error) {
        noteRebalance(error);
        report(classifyKafkaError(error, { operation: 'commit', topic }));
        // The raw error, so kafkajs recognises a rebalance and rejoins; otherwise it retries the
        // fetch from the last resolved offset, which redelivers what was not committed (the inbox absorbs it).
        throw error;
      }
      payload.resolveOffset(last);
      handled = undefined;
      committedAt = Date.now();
    }

    for (let start = 0; start < messages.length; start += settings.maxBatchSize) {
      // Cheap unless a heartbeat is due; tells us whether the group is rebalancing before we start work.
      if (closing === undefined && payload.isRunning() && !payload.isStale()) await payload.heartbeat().catch(noteRebalance);
      if (closing !== undefined || !payload.isRunning() || payload.isStale() || rebalancing) {
        // Leaving (or giving the partition up): what was handled is committed first.
        await commit();
        return;
      }

      const slice = messages.slice(start, start + settings.maxBatchSize);
      const chunk = slice.map((message) => toIncomingMessage(topic, partition, message));
      try {
        await handleChunk(payload, chunk);
      } catch (error) {
        report(error);
        // The chunks before it are committed; this one is not: the next fetch of the partition starts at it again.
        await commit();
        pauses.backoff(topic, partition);
        return;
      }
      const lastChunk = start + settings.maxBatchSize >= messages.length;
      // After the batch's last message, commit past its trailing control records (if any) too.
      handled = lastChunk ? payload.batch.lastOffset() : (slice[slice.length - 1]?.offset ?? handled);
      if (lastChunk || Date.now() - committedAt >= settings.commitIntervalMs) await commit();
    }
  }

  const runConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
    eachBatch,
  };

  function restartLater(delayMs: number): void {
    if (closing !== undefined) return;
    restartTimer = setTimeout(async () => {
      restartTimer = undefined;
      if (closing !== undefined) return;
      try {
        await consumer.connect();
        if (closing !== undefined) return;
        await consumer.run(runConfig);
        // close() may have run while this restart was connecting: do not leave a member behind it.
        if (closing !== undefined) await consumer.disconnect();
      } catch (error) {
        report(classifyKafkaError(error, { operation: 'consumer restart' }));
        restartLater(Math.min(delayMs * 2, MAX_RESTART_DELAY_MS));
      }
    }, delayMs);
    restartTimer.unref?.();
  }

  consumer.on('consumer.group_join', (event) => {
    assignment = new Map(Object.entries(event.payload.memberAssignment));
    rebalancing = false;
    pauses.reapply();
    try {
      options.onAssignment?.([...assignment].map(([topic, partitions]) => ({ topic, partitions: [...partitions] })));
    } catch (error) {
      report(error);
    }
  });
  consumer.on('consumer.crash', (event) => {
    assignment = new Map();
    if (closing !== undefined) return;
    report(classifyKafkaError(event.payload.error, { operation: 'consume' }));
    // kafkajs restarts by itself after retriable failures; after the others it would leave this
    // subscription dead without a word. Nothing is lost either way (offsets are committed), so restart it.
    if (!event.payload.restart) restartLater(settings.redeliveryDelayMs);
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning });
    await consumer.run(runConfig);
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw classifyKafkaError(error, { operation: 'subscribe' });
  }

  return {
    close() {
      closing ??= (async () => {
        clearTimeout(restartTimer);
        pauses.clear();
        // disconnect() waits for the batch in flight (and its commit), then leaves the group.
        await consumer.disconnect().catch((error) => report(classifyKafkaError(error, { operation: 'close' })));
        assignment = new Map();
      })();
      return closing;
    },
    async lag(): Promise<PartitionLag[]> {
      const assigned = [...assignment].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (closing !== undefined || assigned.length === 0) return [];
      try {
        const admin = await topicAdmin.admin();
        const names = assigned.map(([topic]) => topic);
        const [committed, ends] = await Promise.all([
          admin.fetchOffsets({ groupId: group, topics: names }),
          Promise.all(names.map((topic) => admin.fetchTopicOffsets(topic))),
        ]);
        return assigned.flatMap(([topic, partitions], index) => {
          const endOf = new Map((ends[index] ?? []).map((end) => [end.partition, end]));
          const committedOf = new Map(
            (committed.find((entry) => entry.topic === topic)?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]),
          );
          return [...partitions]
            .sort((a, b) => a - b)
            .map((partition) => {
              const end = endOf.get(partition);
              const high = BigInt(end?.high ?? 0);
              const low = BigInt(end?.low ?? 0);
              const done = committedOf.get(partition) ?? -1n;
              // No commit yet: the group starts at the oldest message (fromBeginning) or at the end.
              const from = done >= 0n ? (done > low ? done : low) : fromBeginning ? low : high;
              return { topic, partition, lag: Number(high > from ? high - from : 0n) };
            });
        });
      } catch (error) {
        throw classifyKafkaError(error, { operation: 'lag' });
      }
    },
    pause: () => pauses.pauseAll(),
    resume: () => pauses.resumeAll(),
    get paused() {
      return pauses.pausedByUser;
    },
  };
}
