import { ConfigurationError, isEventfoldError, isStoreUnavailableError, ValidationError } from './errors.js';
import type { RecordedEvent } from './event.js';
import type { Inbox } from './inbox.js';
import { abortableSleep, StoppedError } from './internal/abortable-sleep.js';
import { deadLetterOf, originalOf } from './internal/dead-letter.js';
import { nameOption, requireOption } from './internal/options.js';
import { DeadLetterHeaders, MessageHeaders, messageToEvent } from './message-headers.js';
import { backoffDelay, type RetryPolicy, retryPolicy } from './retry.js';
import type { IncomingMessage, OutgoingMessage, PartitionLag, Subscription, Transport } from './transport.js';

/** What a handler knows about the message besides its decoded content. */
export interface ConsumeContext {
  /** The message as delivered. */
  readonly message: IncomingMessage;
  /** The id the inbox de-duplicates on: the `event-id` header, else `<topic>/<partition>/<offset>`. */
  readonly messageId: string;
  /** 1 on the first try, then 2, 3… on retries. */
  readonly attempt: number;
}

/** What a consumer does with messages: `handle` them one at a time, or `handleBatch` them together. */
export type ConsumerWork<Message> =
  | {
      /** Does the work for one message. Throw to retry (or dead-letter, for a non-retryable error). */
      handle: (message: Message, context: ConsumeContext) => Promise<void>;
      handleBatch?: never;
    }
  | {
      /**
       * Does the work for several messages at once, so a projection can write all their effects in
       * one statement. With an inbox that has `runBatch` it gets the messages of a delivered batch
       * not processed yet, in order, in one inbox unit; otherwise, and after a failure, one message
       * at a time, with the retries and dead letters of `handle`.
       */
      handleBatch: (messages: readonly Message[], contexts: readonly ConsumeContext[]) => Promise<void>;
      handle?: never;
    };

/** Options of {@link consumer}: its settings, and `handle` or `handleBatch`. */
export type ConsumerOptions<Message = RecordedEvent> = ConsumerSettings<Message> & ConsumerWork<Message>;

/** The settings of {@link consumer}, besides its work. */
export interface ConsumerSettings<Message = RecordedEvent> {
  transport: Transport;
  /** Names the consumer in its inbox records and dead letters; also its group unless `group` is given. */
  name: string;
  /** Consumer group. @defaultValue `name` */
  group?: string;
  topics: readonly string[];
  /** Remembers handled message ids, so a redelivery is skipped. */
  inbox: Inbox;
  /** Retries of transient failures. @defaultValue `{ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000, jitter: 1 }` */
  retry?: Partial<RetryPolicy>;
  /** Where dead letters go. @defaultValue `{ topic: (topic) => \`${topic}.dlq\` }` */
  deadLetter?: {
    /** The dead-letter topic of a topic. */
    topic?: (topic: string) => string;
  };
  /**
   * Turns a message into what `handle` (or `handleBatch`) receives; a `ValidationError` it throws dead-letters the message at once.
   * Decode with a catalog to get typed, upcast events: `(message) => catalog.decode(messageToEvent(message))`.
   * @defaultValue {@link messageToEvent}
   */
  decode?: (message: IncomingMessage) => Message | Promise<Message>;
  /**
   * Errors to dead-letter at once, besides the built-in ones (`EventfoldError`s with `retryable: false`,
   * such as `ValidationError`, `UnknownEventTypeError` and `DomainError`).
   */
  nonRetryable?: (error: unknown) => boolean;
  /**
   * Handles each delivered batch in one inbox unit when the inbox offers `runBatch` (the PostgreSQL
   * store's inbox does: one transaction, one commit for the whole batch). If the unit fails, it
   * rolls back and the batch is handled again one message at a time, so retries and dead letters
   * stay per message; work outside the transaction (an HTTP call, say) done for the batch then
   * runs again. `false` handles every message in its own unit. @defaultValue `true`
   */
  batching?: boolean;
  /** Where a group without committed offsets starts. @defaultValue `true` */
  fromBeginning?: boolean;
  /** Called with every failure: each failed attempt, and a batch the transport will redeliver. @defaultValue ignores them (counters still move) */
  onError?: (error: unknown, context?: ConsumeContext) => void;
  /** Clock for the failure times in dead letters. @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** Counters of a consumer since it was created. */
export interface ConsumerStats {
  /** Messages whose handler succeeded. */
  readonly handled: number;
  /** Redeliveries the inbox recognised and skipped. */
  readonly duplicates: number;
  /** Failed attempts that were retried. */
  readonly retried: number;
  /** Messages sent to a dead-letter topic. */
  readonly deadLettered: number;
}

/** A consumer of a transport. */
export interface Consumer {
  readonly name: string;
  /** Subscribes and starts handling messages. Does nothing if started. */
  start(): Promise<void>;
  /**
   * Finishes the message (or the batch unit, see `batching`) in hand and leaves the group. The rest of the batch, and a message
   * waiting to be retried, are left uncommitted: the group redelivers them (the inbox skips what
   * was already handled).
   */
  stop(): Promise<void>;
  /** Counts of handled, duplicate, retried and dead-lettered messages since the consumer was made. */
  stats(): ConsumerStats;
  /** Messages not yet committed, per partition assigned to this consumer. */
  lag(): Promise<PartitionLag[]>;
}

/**
 * An idempotent consumer: each message runs through `inbox.runOnce(name, messageId, …)` (a whole
 * batch through `inbox.runBatch` where the inbox has it), so a redelivered message is skipped; transient failures are retried with exponential backoff and
 * jitter, bounded by `retry.maxAttempts`; non-retryable failures and exhausted retries go to
 * `<topic>.dlq` with the error, the attempt count, first and last failure times, the original
 * topic/partition/offset and the original headers (see `DeadLetterHeaders`). Offsets are committed
 * only after every message of a batch was handled or dead-lettered.
 *
 * Where the inbox cannot share a transaction with the handler's writes, a crash between the two
 * repeats the handler once: derive the ids of its effects from `context.messageId`.
 *
 * @example
 * ```ts
 * const users = consumer({
 *   transport, inbox: store.inbox, name: 'registrations.users', topics: ['user.created'],
 *   handle: async (event) => {
 *     knownUsers.add(event.streamId);
 *   },
 * });
 * await users.start();
 * ```
 * @throws {@link ConfigurationError} for missing or invalid options.
 */
export function consumer<Message = RecordedEvent>(options: ConsumerOptions<Message>): Consumer {
  const transport = requireOption(options?.transport, 'transport', 'pass a Transport');
  const inbox = requireOption(options.inbox, 'inbox', 'pass an Inbox, e.g. store.inbox');
  const name = nameOption(options.name, 'name');
  const group = nameOption(options.group, 'group', name);
  const topics = requireTopics(options.topics, 'pass the topics to consume');
  const work = workOf(options);
  const retry = retryPolicy(options.retry);
  const deadLetterTopic = options.deadLetter?.topic ?? ((topic: string) => `${topic}.dlq`);
  // Without `decode`, `Message` is its default, `RecordedEvent`: exactly what messageToEvent returns.
  const decode = options.decode ?? (messageToEvent as unknown as (message: IncomingMessage) => Message);
  const now = options.now ?? (() => new Date());
  const report = (error: unknown, context?: ConsumeContext) => {
    try {
      options.onError?.(error, context);
    } catch {
      // A throwing error callback must not change what happens to the message.
    }
  };
  const stats = { handled: 0, duplicates: 0, retried: 0, deadLettered: 0 };
  let subscription: Promise<Subscription> | undefined;
  let stopping = new AbortController();

  const retryable = (error: unknown) => !(isEventfoldError(error) && !error.retryable) && !(options.nonRetryable?.(error) ?? false);

  const runBatch = options.batching === false ? undefined : inbox.runBatch?.bind(inbox);

  /**
   * Handles a batch in one inbox unit, every message at its first attempt. False when a message
   * could not be decoded or the unit failed (nothing of it was recorded): the caller then handles
   * the messages one by one, with retries and dead letters.
   */
  async function consumeTogether(batch: readonly IncomingMessage[], run: NonNullable<Inbox['runBatch']>): Promise<boolean> {
    let decoded: Message[];
    try {
      decoded = await Promise.all(batch.map((message) => decode(message)));
    } catch {
      return false; // the one-by-one pass dead-letters the message that does not decode, and reports it
    }
    const contexts = batch.map((message): ConsumeContext => ({ message, messageId: messageIdOf(message), attempt: 1 }));
    const failure: { error?: unknown; context?: ConsumeContext } = {};
    try {
      const outcomes = await run(
        name,
        contexts.map((context) => context.messageId),
        (fresh) =>
          work.batch(
            fresh.map((index) => decoded[index] as Message),
            fresh.map((index) => contexts[index] as ConsumeContext),
            failure,
          ),
      );
      for (const outcome of outcomes) stats[outcome === 'processed' ? 'handled' : 'duplicates']++;
      return true;
    } catch (error) {
      report(error, failure.error === error ? failure.context : undefined);
      return false;
    }
  }

  async function consume(message: IncomingMessage, signal: AbortSignal): Promise<void> {
    const messageId = messageIdOf(message);
    let firstFailureAt: Date | undefined;
    let decoded: { value: Message } | undefined;
    for (let attempt = 1; ; attempt++) {
      const context: ConsumeContext = { message, messageId, attempt };
      try {
        decoded ??= { value: await decode(message) };
        const value = decoded.value;
        const outcome = await inbox.runOnce(name, messageId, () => work.one(value, context));
        stats[outcome === 'processed' ? 'handled' : 'duplicates']++;
        return;
      } catch (error) {
        const failedAt = now();
        firstFailureAt ??= failedAt;
        report(error, context);
        // An outage of the store or broker is not the message's fault: once retries run out, fail the
        // batch so the transport redelivers it later, rather than dead-letter healthy messages.
        if (isStoreUnavailableError(error) && attempt >= retry.maxAttempts) throw error;
        if (!retryable(error) || attempt >= retry.maxAttempts) {
          const deadLetter = deadLetterOf(message, error, { consumer: name, attempts: attempt, firstFailureAt, lastFailureAt: failedAt });
          // If this publish fails, the batch fails and is redelivered: the message is never dropped.
          await transport.publish(deadLetterTopic(message.topic), [deadLetter]);
          stats.deadLettered++;
          return;
        }
        stats.retried++;
        await abortableSleep(backoffDelay(attempt, retry), signal);
      }
    }
  }

  return {
    name,
    start() {
      if (subscription === undefined) {
        stopping = new AbortController();
        const signal = stopping.signal;
        const pending = transport.subscribe({
          group,
          topics,
          fromBeginning: options.fromBeginning ?? true,
          handler: async (batch) => {
            if (runBatch !== undefined && batch.length > 1) {
              if (signal.aborted) throw new StoppedError();
              if (await consumeTogether(batch, runBatch)) return;
            }
            for (const message of batch) {
              if (signal.aborted) throw new StoppedError();
              await consume(message, signal);
            }
          },
          onError: (error) => {
            if (!(error instanceof StoppedError)) report(error);
          },
        });
        subscription = pending;
        // A failed subscribe leaves the consumer stopped, so start() can be called again.
        pending.catch(() => {
          if (subscription === pending) subscription = undefined;
        });
      }
      return subscription.then(() => undefined);
    },
    async stop() {
      const current = subscription;
      if (current === undefined) return;
      subscription = undefined;
      stopping.abort();
      await (await current).close();
    },
    stats: () => ({ ...stats }),
    lag: async () => (subscription === undefined ? [] : (await subscription).lag()),
  };
}

/** Options of {@link replayDeadLetters}. */
export interface ReplayDeadLettersOptions {
  transport: Transport;
  /** Dead-letter topics to replay, e.g. `['user.created.dlq']`. */
  topics: readonly string[];
  /** Consumer group of the replay: each dead letter is replayed once per group. @defaultValue `'eventfold.dlq-replay'` */
  group?: string;
  /** Replays only the dead letters it accepts. @defaultValue all */
  filter?: (deadLetter: IncomingMessage) => boolean;
  /** Called for a dead letter without a `dlq-original-topic` header: it stays where it is and is passed over. */
  onError?: (error: unknown) => void;
}

/**
 * Re-publishes dead letters to the topics they came from, without the dead-letter headers, so
 * their consumer tries them again (after the bug is fixed). Runs until the returned subscription
 * is closed; its `lag()` reaching 0 means everything was replayed.
 *
 * @example
 * ```ts
 * const replay = await replayDeadLetters({ transport, topics: ['user.created.dlq'] });
 * // wait until (await replay.lag()).every((p) => p.lag === 0), then:
 * await replay.close();
 * ```
 */
export function replayDeadLetters(options: ReplayDeadLettersOptions): Promise<Subscription> {
  const transport = requireOption(options?.transport, 'transport', 'pass a Transport');
  const topics = requireTopics(options.topics, 'pass the dead-letter topics to replay');
  return transport.subscribe({
    group: nameOption(options.group, 'group', 'eventfold.dlq-replay'),
    topics,
    handler: async (batch) => {
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const deadLetter of batch) {
        if (options.filter !== undefined && !options.filter(deadLetter)) continue;
        const original = originalOf(deadLetter);
        if (original === undefined) {
          const where = `${deadLetter.topic}/${deadLetter.partition}/${deadLetter.offset}`;
          options.onError?.(
            new ValidationError(`Dead letter ${where} cannot be replayed`, [
              { message: 'header is missing', path: ['headers', DeadLetterHeaders.originalTopic] },
            ]),
          );
          continue;
        }
        byTopic.set(original.topic, [...(byTopic.get(original.topic) ?? []), original.message]);
      }
      for (const [topic, messages] of byTopic) await transport.publish(topic, messages);
    },
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
}

/** The consumer's work for one message, and for a batch (noting which message failed, when that is known). */
interface Work<Message> {
  one(message: Message, context: ConsumeContext): Promise<void>;
  batch(
    messages: readonly Message[],
    contexts: readonly ConsumeContext[],
    failure: { error?: unknown; context?: ConsumeContext },
  ): Promise<void>;
}

function workOf<Message>(options: ConsumerWork<Message>): Work<Message> {
  const { handle, handleBatch } = options;
  if (typeof handleBatch === 'function') {
    return {
      one: (message, context) => handleBatch([message], [context]),
      batch: (messages, contexts) => handleBatch(messages, contexts),
    };
  }
  if (typeof handle !== 'function') {
    throw new ConfigurationError(
      '[@eventfold/core] Option `handle` is required: pass an async function that handles one message (or `handleBatch`, for several).',
    );
  }
  return {
    one: handle,
    async batch(messages, contexts, failure) {
      for (const [index, message] of messages.entries()) {
        const context = contexts[index] as ConsumeContext;
        try {
          await handle(message, context);
        } catch (error) {
          failure.error = error;
          failure.context = context;
          throw error;
        }
      }
    },
  };
}

/** The id the inbox de-duplicates a message on. */
function messageIdOf(message: IncomingMessage): string {
  return message.headers[MessageHeaders.eventId] || `${message.topic}/${message.partition}/${message.offset}`;
}

function requireTopics(topics: readonly string[] | undefined, hint: string): readonly string[] {
  if (!Array.isArray(topics) || topics.length === 0) {
    throw new ConfigurationError(`[@eventfold/core] Option \`topics\` is required: ${hint}.`);
  }
  return topics;
}
