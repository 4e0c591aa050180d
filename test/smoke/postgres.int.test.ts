/**
 * Smoke test: the PostgreSQL server from scripts/services (or DATABASE_URL) is real and usable:
 * version, transactions, LISTEN/NOTIFY.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { requirePostgresUrl, setupOrFailEach } from '../support/services.js';

describe('PostgreSQL smoke', () => {
  let url: string;
  let client: pg.Client;
  const table = `smoke_tx_${process.pid}_${Date.now()}`;

  setupOrFailEach(async () => {
    url = await requirePostgresUrl();
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.query(`drop table if exists ${table}`).catch(() => undefined);
    await client?.end();
  });

  it('reports a server version of 15 or later', async () => {
    const { rows } = await client.query<{ server_version_num: string; version: string }>(
      `select current_setting('server_version_num') as server_version_num, version() as version`,
    );
    expect(Number(rows[0]!.server_version_num)).toBeGreaterThanOrEqual(150000);
    expect(rows[0]!.version).toMatch(/^PostgreSQL \d+/);
  });

  it('commits and rolls back transactions', async () => {
    await client.query(`create table ${table} (id int primary key, note text not null)`);

    await client.query('begin');
    await client.query(`insert into ${table} values (1, 'committed')`);
    await client.query('commit');

    await client.query('begin');
    await client.query(`insert into ${table} values (2, 'rolled back')`);
    // visible inside its own transaction ...
    expect((await client.query(`select count(*)::int as n from ${table}`)).rows[0].n).toBe(2);
    await client.query('rollback');

    // ... and gone afterwards, also for another connection.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      const { rows } = await other.query(`select id, note from ${table} order by id`);
      expect(rows).toEqual([{ id: 1, note: 'committed' }]);
    } finally {
      await other.end();
    }
  });

  it('rejects a duplicate primary key with SQLSTATE 23505 and keeps the transaction atomic', async () => {
    await client.query('begin');
    await client.query(`insert into ${table} values (10, 'first of two')`);
    await expect(client.query(`insert into ${table} values (1, 'duplicate')`)).rejects.toMatchObject({
      code: '23505',
    });
    await client.query('rollback');
    const { rows } = await client.query(`select count(*)::int as n from ${table} where id = 10`);
    expect(rows[0].n).toBe(0);
  });

  it('delivers NOTIFY to a LISTENing connection', async () => {
    const channel = `smoke_${process.pid}`;
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    try {
      await listener.query(`listen ${channel}`);
      const received = new Promise<pg.Notification>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no notification within 5 s')), 5000);
        listener.on('notification', (message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
      await client.query('select pg_notify($1, $2)', [channel, 'hello from the smoke test']);
      const message = await received;
      expect(message.channel).toBe(channel);
      expect(message.payload).toBe('hello from the smoke test');
    } finally {
      await listener.end();
    }
  });

  it('is durable by default (fsync on) unless EVENTFOLD_PG_FAST=1 started it', async () => {
    const { rows } = await client.query<{ fsync: string }>('show fsync');
    expect(['on', 'off']).toContain(rows[0]!.fsync);
    if (process.env.EVENTFOLD_PG_FAST !== '1' && url.includes('127.0.0.1:55432')) {
      expect(rows[0]!.fsync).toBe('on');
    }
  });
});
