// The few parts of `pg` this package calls, typed structurally (as Kysely does), so that our
// public types accept a Pool from any pg 8.x release and never pin a version of @types/pg.

/** A query as `pg` accepts it. */
export interface PostgresQueryConfig {
  text: string;
  values?: unknown[];
  /** Names a prepared statement: `pg` parses it once per connection. */
  name?: string;
}

/** What a query returned: the fields this package reads. */
export interface PostgresQueryResult<Row = Record<string, unknown>> {
  rows: Row[];
  rowCount: number | null;
  /** The command tag, e.g. `INSERT` or, for a `COMMIT` of a failed transaction, `ROLLBACK`. */
  command: string;
}

/** A `LISTEN` notification. */
export interface PostgresNotification {
  channel: string;
  payload?: string | undefined;
}

/** A connection checked out of a pool (`pg.PoolClient`). */
export interface PostgresPoolClient {
  /** Runs one statement. */
  query(config: PostgresQueryConfig): Promise<PostgresQueryResult<any>>;
  /** Returns the connection to the pool; with an error (or `true`) the pool closes it instead. */
  release(error?: Error | boolean): void;
  /** Receives `LISTEN` notifications. */
  on(event: 'notification', listener: (message: PostgresNotification) => void): unknown;
  /** Receives errors of the connection while no query is running. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Called when the connection closes. */
  on(event: 'end', listener: () => void): unknown;
}

/**
 * A connection pool (`pg.Pool`). Size it for your concurrency: each store call holds one
 * connection while it runs, a transaction holds one until it ends, and `onAppend` keeps one
 * for listening while it has listeners.
 */
export interface PostgresPool {
  /** Checks a connection out; the caller releases it. */
  connect(): Promise<PostgresPoolClient>;
  /** Closes every connection. */
  end(): Promise<void>;
}
