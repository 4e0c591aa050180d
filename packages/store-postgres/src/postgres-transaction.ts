import type {
  AppendOptions,
  AppendResult,
  CheckpointStore,
  Inbox,
  InboxOutcome,
  LeaseStore,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  SnapshotStore,
} from '@eventfold/core';
import type { PostgresPoolClient, PostgresQueryResult } from './postgres-pool.js';

/** The inbox inside a transaction: the record commits (or rolls back) with the transaction. */
export interface PostgresTransactionInbox {
  /**
   * Claims `messageId` for `consumer` in this transaction: true when it was not processed yet (it
   * is recorded now, and stays recorded only if the transaction commits), false for a repeat.
   * A concurrent claim of the same message waits until this transaction ends.
   */
  claim(consumer: string, messageId: string): Promise<boolean>;
  /** True when the message was processed (committed), or claimed in this transaction. */
  has(consumer: string, messageId: string): Promise<boolean>;
}

/**
 * One open PostgreSQL transaction, with the store's operations and your own SQL in it. Everything
 * done through it commits together when the `transaction` callback resolves, or not at all.
 * Events appended in it become visible to `readAll` when it commits.
 */
export interface PostgresTransaction {
  /** Appends in this transaction, like `EventStore.append`; the events become visible when it commits. */
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Reads a stream in this transaction (its own appends included), like `EventStore.readStream`. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readonly snapshots: SnapshotStore;
  readonly checkpoints: CheckpointStore;
  readonly leases: LeaseStore;
  readonly inbox: PostgresTransactionInbox;
  /** Runs your SQL in the transaction. Errors are `pg`'s own, unwrapped. */
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<PostgresQueryResult<Row>>;
  /** The transaction's connection. Do not release it, or commit or roll back through it. */
  readonly client: PostgresPoolClient;
}

/**
 * The store's inbox: `runOnce` runs the work and records the message in one transaction, and
 * passes that transaction to the work, so its writes commit with the record (effectively once).
 */
export interface PostgresInbox extends Inbox {
  /**
   * Runs `work` in a transaction unless `messageId` was already processed by `consumer`; records
   * the message in the same transaction. Concurrent calls for one message, in any process, run
   * `work` at most once to completion. When `work` throws, the transaction rolls back and the
   * error propagates. Store calls made inside `work` join the transaction too.
   */
  runOnce(consumer: string, messageId: string, work: (tx: PostgresTransaction) => Promise<void>): Promise<InboxOutcome>;
  /**
   * Handles many messages in one transaction: claims them all, calls `work` once with the indexes
   * (ascending) of those not processed yet (a repeated id counts once; no call when none is new),
   * records them, commits once. When `work` throws, the transaction rolls back (records and writes
   * alike) and the error propagates. Overlapping batches in any order and concurrent `runOnce`
   * calls run each message's work at most once to completion. Core's `consumer` uses it for every
   * delivered batch.
   */
  runBatch(
    consumer: string,
    messageIds: readonly string[],
    work: (fresh: readonly number[], tx: PostgresTransaction) => Promise<void>,
  ): Promise<InboxOutcome[]>;
}
