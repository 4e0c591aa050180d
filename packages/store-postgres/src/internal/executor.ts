import type { PostgresPool, PostgresPoolClient, PostgresQueryConfig } from '../postgres-pool.js';
import { breaksConnection } from './classify-error.js';

/** A statement with a stable name, so `pg` prepares it once per connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** Runs statements: on a pool (one connection per call), or on the connection of an open transaction. */
export interface Executor {
  run<Row>(statement: Statement, values: unknown[]): Promise<Row[]>;
}

function configOf(statement: Statement, values: unknown[], prepare: boolean): PostgresQueryConfig {
  return prepare ? { name: statement.name, text: statement.text, values } : { text: statement.text, values };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Returns a connection to its pool, or closes it when `error` says it is broken. (`pool.query()`
 * would close the connection on every error, a constraint violation included, and reconnecting
 * after each `ConcurrencyError` is what makes contended appends slow.)
 */
export function releaseClient(client: PostgresPoolClient, error?: unknown): void {
  client.release(error !== undefined && breaksConnection(error) ? asError(error) : undefined);
}

const guarded = new WeakSet<PostgresPoolClient>();

/**
 * Checks a connection out of the pool with an 'error' listener on it. The pool listens only to
 * idle connections; one that breaks while checked out (a server restart between two statements,
 * or after a failed query, before the pool closed it) would otherwise emit an unhandled 'error'
 * and crash the process. The error itself reaches the caller through the next query.
 */
export async function checkOut(pool: PostgresPool): Promise<PostgresPoolClient> {
  const client = await pool.connect();
  if (!guarded.has(client)) {
    guarded.add(client);
    client.on('error', () => undefined);
  }
  return client;
}

/** Runs each statement on a connection checked out of `pool` for that statement only. */
export function poolExecutor(pool: PostgresPool, prepare: boolean): Executor {
  return {
    async run<Row>(statement: Statement, values: unknown[]): Promise<Row[]> {
      const client = await checkOut(pool);
      let result: { rows: Row[] };
      try {
        result = await client.query(configOf(statement, values, prepare));
      } catch (error) {
        releaseClient(client, error);
        throw error;
      }
      client.release();
      return result.rows;
    },
  };
}

/** Runs statements on one connection (a transaction's); records an error that broke it. */
export function clientExecutor(client: PostgresPoolClient, prepare: boolean, onBroken: (error: unknown) => void): Executor {
  return {
    async run<Row>(statement: Statement, values: unknown[]): Promise<Row[]> {
      try {
        return (await client.query(configOf(statement, values, prepare))).rows as Row[];
      } catch (error) {
        if (breaksConnection(error)) onBroken(error);
        throw error;
      }
    },
  };
}
