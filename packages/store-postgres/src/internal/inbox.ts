import type { InboxOutcome } from '@eventfold/core';
import type { PostgresInbox, PostgresTransactionInbox } from '../postgres-transaction.js';
import { classifyError } from './classify-error.js';
import type { Executor } from './executor.js';
import type { ExecutorSource } from './side-stores.js';
import type { Statements } from './statements.js';
import type { TransactionRunner } from './transactions.js';

async function claim(executor: Executor, sql: Statements, consumer: string, messageId: string, record: boolean): Promise<boolean> {
  try {
    const [row] = await executor.run<{ claimed: boolean }>(sql.inboxClaim, [consumer, messageId, record]);
    return row?.claimed === true;
  } catch (error) {
    throw classifyError(error, { operation: 'inbox.claim' });
  }
}

async function has(executor: Executor, sql: Statements, consumer: string, messageId: string): Promise<boolean> {
  try {
    const [row] = await executor.run<{ has: boolean }>(sql.inboxHas, [consumer, messageId]);
    return row?.has === true;
  } catch (error) {
    throw classifyError(error, { operation: 'inbox.has' });
  }
}

/** The inbox of one transaction. */
export function transactionInbox(executor: Executor, sql: Statements): PostgresTransactionInbox {
  return {
    claim: (consumer, messageId) => claim(executor, sql, consumer, messageId, true),
    has: (consumer, messageId) => has(executor, sql, consumer, messageId),
  };
}

/**
 * The store's inbox. `runOnce` (and `runBatch`, for many messages) takes the message's advisory lock, checks the record, runs the
 * work and writes the record, all in one transaction. The record is written last so the
 * transaction gets a transaction id (and holds readers' visibility horizon back) only from the
 * work's first write, not while the work waits on, say, an HTTP call.
 */
export function postgresInbox(source: ExecutorSource, sql: Statements, transactions: TransactionRunner): PostgresInbox {
  // Concurrent calls for one message in this process wait here instead of each holding a
  // connection while blocked on the lock (with a small pool that could starve the work itself).
  const inFlight = new Map<string, Promise<unknown>>();
  const keyOf = (consumer: string, messageId: string) => JSON.stringify([consumer, messageId]);

  async function runOnce(consumer: string, messageId: string, work: Parameters<PostgresInbox['runOnce']>[2]): Promise<InboxOutcome> {
    const key = keyOf(consumer, messageId);
    for (let pending = inFlight.get(key); pending !== undefined; pending = inFlight.get(key)) {
      await pending.catch(() => undefined);
    }
    const running = transactions.run(async (tx): Promise<InboxOutcome> => {
      const executor = transactions.current()?.executor ?? source();
      if (!(await claim(executor, sql, consumer, messageId, false))) return 'duplicate';
      await work(tx);
      try {
        await executor.run(sql.inboxRecord, [consumer, messageId]);
      } catch (error) {
        throw classifyError(error, { operation: 'inbox.runOnce' });
      }
      return 'processed';
    });
    inFlight.set(key, running);
    try {
      return await running;
    } finally {
      if (inFlight.get(key) === running) inFlight.delete(key);
    }
  }

  /** Claims every message in one statement, runs the work of the new ones, records them in one more. */
  function runBatch(
    consumer: string,
    messageIds: readonly string[],
    work: Parameters<PostgresInbox['runBatch']>[2],
  ): Promise<InboxOutcome[]> {
    return transactions.run(async (tx) => {
      const executor = transactions.current()?.executor ?? source();
      const outcomes = messageIds.map((): InboxOutcome => 'duplicate');
      if (messageIds.length === 0) return outcomes;
      let claims: { index: number; claimed: boolean }[];
      try {
        claims = await executor.run(sql.inboxClaimMany, [consumer, messageIds]);
      } catch (error) {
        throw classifyError(error, { operation: 'inbox.runBatch' });
      }
      const fresh = claims.filter((claim) => claim.claimed).map((claim) => claim.index);
      if (fresh.length > 0) {
        fresh.sort((a, b) => a - b);
        await work(fresh, tx);
        for (const index of fresh) outcomes[index] = 'processed';
        try {
          await executor.run(sql.inboxRecordMany, [consumer, fresh.map((index) => messageIds[index])]);
        } catch (error) {
          throw classifyError(error, { operation: 'inbox.runBatch' });
        }
      }
      return outcomes;
    });
  }

  return {
    runOnce,
    runBatch,
    has: (consumer, messageId) => has(source(), sql, consumer, messageId),
  };
}
