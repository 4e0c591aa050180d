import { AsyncLocalStorage } from 'node:async_hooks';
import { ConfigurationError } from '@eventfold/core';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from '../postgres-pool.js';
import type { PostgresTransaction } from '../postgres-transaction.js';
import { breaksConnection, classifyError } from './classify-error.js';
import { checkOut, clientExecutor, type Executor, releaseClient, type Statement } from './executor.js';

/** A transaction in progress: its connection, and whether it can still be used. */
export interface ActiveTransaction {
  readonly client: PostgresPoolClient;
  readonly executor: Executor;
  open: boolean;
  /** The error that broke the connection, if one did: the connection is then closed, not pooled. */
  broken: unknown;
  savepoints: number;
  /** Set when an append wrote in this transaction: its commit is then signalled to listeners. */
  appended: boolean;
  tx: PostgresTransaction;
}

/** Runs callbacks in transactions, and tells store calls which transaction they are in. */
export interface TransactionRunner {
  run<T>(work: (tx: PostgresTransaction) => Promise<T>): Promise<T>;
  /** The transaction the calling code runs in (through `run`), if it is still open. */
  current(): ActiveTransaction | undefined;
}

function usedAfterEnd(): never {
  throw new ConfigurationError(
    '[@eventfold/store-postgres] A transaction was used after it ended: await every call inside the transaction callback.',
  );
}

/**
 * Transactions bound to the calling async context (AsyncLocalStorage): inside `run`, every call
 * of the store — `append`, `checkpoints.put`, `inbox.runOnce` — joins the transaction, so code
 * written against the plain `EventStore` port (core's projections and consumers) commits its
 * checkpoint or inbox record together with the SQL its handlers write through the transaction.
 * A `run` inside a `run` is a savepoint.
 */
export function transactionRunner(
  pool: PostgresPool,
  prepare: boolean,
  /** Starts a transaction: BEGIN, then declares it an appender before it writes anything (see the horizon). */
  beginText: string,
  facade: (active: ActiveTransaction, query: PostgresTransaction['query']) => PostgresTransaction,
  /** Called after a transaction committed. */
  onCommit: (active: ActiveTransaction) => void,
): TransactionRunner {
  const context = new AsyncLocalStorage<ActiveTransaction>();

  function current(): ActiveTransaction | undefined {
    const active = context.getStore();
    return active?.open === true ? active : undefined;
  }

  async function simple(active: ActiveTransaction, text: string): Promise<PostgresQueryResult<unknown>> {
    try {
      return await active.client.query({ text });
    } catch (error) {
      if (breaksConnection(error)) active.broken ??= error;
      throw classifyError(error, { operation: `transaction (${text.split(/[ ;]/)[0]})` });
    }
  }

  async function nested<T>(outer: ActiveTransaction, work: (tx: PostgresTransaction) => Promise<T>): Promise<T> {
    const savepoint = `eventfold_savepoint_${++outer.savepoints}`;
    await simple(outer, `savepoint ${savepoint}`);
    let result: T;
    try {
      result = await work(outer.tx);
    } catch (error) {
      if (outer.open) await simple(outer, `rollback to savepoint ${savepoint}`).catch(() => undefined);
      throw error;
    }
    await simple(outer, `release savepoint ${savepoint}`);
    return result;
  }

  async function run<T>(work: (tx: PostgresTransaction) => Promise<T>): Promise<T> {
    const outer = current();
    if (outer !== undefined) return nested(outer, work);

    let client: PostgresPoolClient;
    try {
      client = await checkOut(pool);
    } catch (error) {
      throw classifyError(error, { operation: 'transaction' });
    }
    const active: ActiveTransaction = {
      client,
      open: true,
      broken: undefined,
      savepoints: 0,
      appended: false,
      executor: undefined as unknown as Executor,
      tx: undefined as unknown as PostgresTransaction,
    };
    const inner = clientExecutor(client, prepare, (error) => {
      active.broken ??= error;
    });
    const guarded: Executor = {
      run<Row>(statement: Statement, values: unknown[]) {
        if (!active.open) usedAfterEnd();
        return inner.run<Row>(statement, values);
      },
    };
    const query: PostgresTransaction['query'] = async <Row>(text: string, values?: readonly unknown[]) => {
      if (!active.open) usedAfterEnd();
      try {
        return (await client.query(values === undefined ? { text } : { text, values: [...values] })) as PostgresQueryResult<Row>;
      } catch (error) {
        if (breaksConnection(error)) active.broken ??= error;
        throw error;
      }
    };
    Object.assign(active, { executor: guarded });
    active.tx = facade(active, query);

    try {
      await simple(active, beginText);
      let result: T;
      try {
        result = await context.run(active, () => work(active.tx));
      } catch (error) {
        active.open = false;
        await simple(active, 'rollback').catch(() => undefined);
        throw error;
      }
      active.open = false;
      const committed = await simple(active, 'commit');
      if (committed.command === 'ROLLBACK') {
        throw new ConfigurationError(
          '[@eventfold/store-postgres] The transaction was rolled back, not committed: a statement in it failed and its error was caught. Wrap statements that may fail in a nested store.transaction() (a savepoint).',
        );
      }
      onCommit(active);
      return result;
    } finally {
      active.open = false;
      releaseClient(client, active.broken);
    }
  }

  return { run, current };
}
