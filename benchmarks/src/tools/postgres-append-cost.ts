/**
 * Where a single-event append's server CPU goes. Runs pgbench (no Node in the loop) on a ladder of
 * statements, each adding one thing the store does to the one before: from the benchmark's plain
 * INSERT up to the store's autocommit statement and its `append_events` function. Rounds are
 * interleaved; it prints, per step, the median machine CPU per append (busy time from /proc/stat,
 * pgbench included, so compare steps, not absolute figures) and the median appends per second.
 * Behind the append-cost table in docs/store-postgres.md. Not part of the test suite.
 * `pnpm --dir benchmarks exec tsx --conditions=@eventfold/source src/tools/postgres-append-cost.ts`
 * (DATABASE_URL from `scripts/services env`; CLIENTS default 16, ROUNDS 7, RUN_SECONDS 3; PGBENCH, else
 * the server's major version under /usr/lib/postgresql).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationSql } from '@eventfold/store-postgres';
import pg from 'pg';
// Dev tool: the statement is internal to the store, so it is read from the source.
import { appendStatementSql } from '../../../packages/store-postgres/src/internal/append-statement.js';
import { INDEX_BITS } from '../../../packages/store-postgres/src/internal/sql.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set: eval "$(bash scripts/services env)"');
const clients = Number(process.env.CLIENTS ?? 16);
const rounds = Number(process.env.ROUNDS ?? 7);
const seconds = Number(process.env.RUN_SECONDS ?? 3);
const ours = `append_cost_${process.pid}`;
const plain = `append_cost_plain_${process.pid}`;

const pool = new pg.Pool({ connectionString: url, max: 1 });
const serverMajor = Math.floor(Number((await pool.query('show server_version_num')).rows[0].server_version_num) / 10_000);
const pgbench = process.env.PGBENCH ?? `/usr/lib/postgresql/${serverMajor}/bin/pgbench`;

// ~300 bytes of JSON, like the benchmark's events; a time-ordered text id, like the store's uuidv7.
const data = JSON.stringify({
  orderId: 'order-0',
  customer: 'customer-0',
  lines: [{ sku: 'sku-1', qty: 1, price: 10.5 }],
  note: 'x'.repeat(180),
});
const stream = `('o' || :n)`;
const id = `(lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, '0') || substr(gen_random_uuid()::text, 13))`;
const position = `pg_current_xact_id()::text::bigint * ${2 ** INDEX_BITS}`;
const locks = `pg_try_advisory_xact_lock_shared(1, 2) and pg_try_advisory_xact_lock(hashtextextended(${stream}, 0))`;
const head = `coalesce((select e.version from ${ours}.events e where e.stream_id = ${stream} order by e.version desc limit 1), 0)`;
const columns = '(position, version, schema_version, recorded_at, stream_id, event_id, type, data, metadata)';
const parameters: Record<string, string> = {
  $1: stream,
  $2: '(-2)',
  $3: `array[${id}]`,
  $4: `array['order.placed']`,
  $5: `'[${data}]'`,
  $6: `'[{}]'`,
  $7: 'array[1]',
};
const withParameters = (sql: string) => sql.replace(/\$([1-7])/g, (match) => parameters[match] as string);

const steps: [name: string, sql: string][] = [
  [
    'plain INSERT (the benchmark baseline)',
    `insert into ${plain}.events (stream_id, version, event_id, type, data, metadata) values (${stream}, 1, gen_random_uuid(), 'order.placed', '${data}', '{}')`,
  ],
  [
    '+ unique text event id',
    `insert into ${plain}.events_text_id (stream_id, version, event_id, type, data, metadata) values (${stream}, 1, ${id}, 'order.placed', '${data}', '{}')`,
  ],
  [
    'our table, position from the transaction id',
    `insert into ${ours}.events values (${position}, 1, 1, now(), ${stream}, ${id}, 'order.placed', '${data}', '{}')`,
  ],
  [
    '+ appender and stream locks',
    `insert into ${ours}.events select ${position}, 1, 1, now(), ${stream}, ${id}, 'order.placed', '${data}', '{}' where ${locks}`,
  ],
  [
    '+ head lookup',
    `insert into ${ours}.events select ${position}, ${head} + 1, 1, now(), ${stream}, ${id}, 'order.placed', '${data}', '{}' where ${locks}`,
  ],
  [
    '+ arrays (unnest, JSON array)',
    `insert into ${ours}.events ${columns} select ${position} + u.ord - 1, ${head} + u.ord, u.sv, now(), ${stream}, u.id, u.type, '[${data}]'::jsonb -> (u.ord::integer - 1), '[{}]'::jsonb -> (u.ord::integer - 1) from unnest(array[${id}], array['order.placed'], array[1]) with ordinality as u(id, type, sv, ord) where ${locks}`,
  ],
  ['the autocommit statement', withParameters(appendStatementSql(ours))],
  ['append_events (the function)', withParameters(`select * from ${ours}.append_events($1, $2, $3, $4, $5, $6, $7)`)],
];

const busyTicks = () => {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
  // user, nice, system, irq, softirq (not idle, iowait, steal)
  return [0, 1, 2, 5, 6].reduce((sum, index) => sum + (fields[index] ?? 0), 0);
};
const tickUs = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] as number;

const dir = mkdtempSync(join(tmpdir(), 'append-cost-'));
try {
  await pool.query(migrationSql({ schema: ours }));
  await pool.query(`create schema ${plain}`);
  await pool.query(`create table ${plain}.events (position bigserial primary key, stream_id text not null, version integer not null,
    event_id uuid not null, type text not null, data jsonb not null, metadata jsonb not null,
    recorded_at timestamptz not null default now(), unique (stream_id, version))`);
  await pool.query(`create table ${plain}.events_text_id (like ${plain}.events including all)`);
  await pool.query(`alter table ${plain}.events_text_id alter column event_id type text`);
  await pool.query(`create unique index on ${plain}.events_text_id (event_id)`);
  const files = steps.map(([, sql], index) => {
    const file = join(dir, `step${index}.sql`);
    writeFileSync(file, `\\set n random(1, 9000000000000000000)\n${sql.replace(/\s*\n\s*/g, ' ')};\n`);
    return file;
  });
  const cpu = steps.map((): number[] => []);
  const rates = steps.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [index, file] of files.entries()) {
      const before = busyTicks();
      const output = execFileSync(
        pgbench,
        ['-n', '-M', 'prepared', '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), '-f', file, url],
        {
          encoding: 'utf8',
        },
      );
      const ticks = busyTicks() - before;
      const done = Number(/actually processed: (\d+)/.exec(output)?.[1]);
      const failed = /number of failed transactions: (\d+)/.exec(output)?.[1];
      if (!(done > 0) || (failed !== undefined && failed !== '0')) throw new Error(`step ${index} failed:\n${output}`);
      cpu[index]?.push((ticks * tickUs) / done);
      rates[index]?.push(Number(/tps = ([\d.]+)/.exec(output)?.[1]));
    }
    console.error(`round ${round + 1}/${rounds} done`);
  }
  console.log(
    `\nSingle-event appends to new streams, ${clients} pgbench clients, ${rounds} rounds of ${seconds} s, PostgreSQL ${serverMajor}.`,
  );
  console.log('| step | machine CPU per append (median) | appends/s (median) |\n|---|---|---|');
  for (const [index, [name]] of steps.entries()) {
    console.log(`| ${name} | ${median(cpu[index] as number[]).toFixed(0)} µs | ${median(rates[index] as number[]).toFixed(0)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await pool.query(`drop schema if exists ${ours} cascade`);
  await pool.query(`drop schema if exists ${plain} cascade`);
  await pool.end();
}
