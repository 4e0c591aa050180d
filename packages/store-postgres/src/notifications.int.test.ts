import { uuidv7 } from '@eventfold/core';
import { type PostgresEventStore, postgresEventStore } from '@eventfold/store-postgres';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, requirePostgresUrl, setupOrFailEach, testPool, waitFor } from '../test/support.js';

const schema = freshSchema('notify');
let pool: pg.Pool;
let writer: PostgresEventStore;
let reader: PostgresEventStore;

setupOrFailEach(async () => {
  await requirePostgresUrl();
  pool = await testPool({ max: 8 });
  // Two store instances: the listener sees appends made by "another process".
  writer = postgresEventStore({ pool, schema });
  reader = postgresEventStore({ pool, schema });
  await writer.migrate();
});

afterAll(async () => {
  await writer?.close();
  await reader?.close();
  await pool?.end();
  await dropSchema(schema);
});

async function listenerPid(): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and query = $1 and pid <> pg_backend_pid()`,
    [`listen "eventfold_${schema}"`],
  );
  return rows[0]?.pid;
}

describe('onAppend', () => {
  it('wakes listeners of another store instance when an append commits, and not before', async () => {
    let calls = 0;
    const stop = reader.onAppend(() => {
      calls++;
    });
    try {
      await waitFor(async () => (await listenerPid()) !== undefined, 5_000, 'the listening connection');
      await waitFor(() => calls > 0, 5_000, 'the call made on connecting');
      const before = calls;
      await writer.transaction(async (tx) => {
        await tx.append(`user-${uuidv7()}`, [{ type: 'user.registered', data: {} }]);
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect(calls, 'notified before commit').toBe(before);
      });
      await waitFor(() => calls > before, 5_000, 'a notification after commit');
    } finally {
      stop();
    }
    await waitFor(async () => (await listenerPid()) === undefined, 5_000, 'the listening connection to close after the last listener');
  });

  it("calls its own process's listeners as soon as an append commits, before the NOTIFY comes back", async () => {
    let calls = 0;
    const stop = writer.onAppend(() => {
      calls++;
    });
    try {
      await waitFor(() => calls > 0, 5_000, 'the call made on connecting');
      for (const inTransaction of [false, true]) {
        await new Promise((resolve) => setTimeout(resolve, 200)); // the NOTIFY of the case before has come back
        const before = calls;
        const streamId = `user-${uuidv7()}`;
        const event = { type: 'user.registered', data: {} };
        if (inTransaction) await writer.transaction((tx) => tx.append(streamId, [event]));
        else await writer.append(streamId, [event]);
        // A NOTIFY needs a round trip to the server (a macrotask); a microtask later only the local call can be in.
        await Promise.resolve();
        expect(calls, inTransaction ? 'after a transaction committed' : 'after an autocommit append').toBe(before + 1);
      }
    } finally {
      stop();
    }
  });

  it('reconnects by itself when its connection is killed, and calls listeners on reconnecting', async () => {
    let calls = 0;
    const stop = reader.onAppend(() => {
      calls++;
    });
    try {
      let pid: number | undefined;
      await waitFor(async () => {
        pid = await listenerPid();
        return pid !== undefined;
      }, 5_000);
      await waitFor(() => calls > 0, 5_000);
      await pool.query('select pg_terminate_backend($1)', [pid]);
      await waitFor(
        async () => {
          const next = await listenerPid();
          return next !== undefined && next !== pid;
        },
        10_000,
        'a new listening connection',
      );
      const before = calls;
      await writer.append(`user-${uuidv7()}`, [{ type: 'user.registered', data: {} }]);
      await waitFor(() => calls > before, 5_000, 'a notification on the new connection');
      expect(calls).toBeGreaterThan(before);
    } finally {
      stop();
    }
  });
});
